import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
/** Read from the parent without making the child: the child has the parent's level. */
const PASS_THROUGH = new Set(['isLevelEnabled', 'level', 'levelVal', 'levels']);
const noop = () => {};

/** A lazy child's state: the proxy's target, so one handler serves them all. */
interface Lazy {
  parent: Logger;
  bindings: Bindings;
  real: Logger | undefined;
}
/** A lazy child → its state. */
const states = new WeakMap<object, Lazy>();

function make(state: Lazy): Logger {
  state.real ??= realOf(state.parent).child(state.bindings);
  return state.real;
}
function realOf(logger: Logger): Logger {
  const state = states.get(logger);
  return state ? make(state) : logger;
}

const handler: ProxyHandler<Lazy> = {
  get(state, prop, receiver) {
    if (state.real === undefined && typeof prop === 'string') {
      const parent = state.parent;
      if (LEVELS.has(prop) && !parent.isLevelEnabled(prop)) return noop;
      if (PASS_THROUGH.has(prop)) {
        const v = Reflect.get(parent, prop);
        return typeof v === 'function' ? v.bind(parent) : v;
      }
      if (prop === 'child') {
        return (b: Bindings, options?: ChildLoggerOptions) =>
          options ? make(state).child(b, options) : lazyChild(receiver as Logger, b);
      }
    }
    const r = make(state);
    const v = Reflect.get(r, prop);
    return typeof v === 'function' ? v.bind(r) : v;
  },
  set(state, prop, value) {
    return Reflect.set(make(state), prop, value);
  },
  // a pino child has its parent's members, and the parent as its prototype
  has(state, prop) {
    return prop in (state.real ?? state.parent);
  },
  getPrototypeOf(state) {
    return state.real ? Reflect.getPrototypeOf(state.real) : state.parent;
  },
};

/**
 * `parent.child(bindings)`, made only when something is logged at an enabled level (or any
 * other member is used): a child per message or per filter run costs a pino instance and the
 * serialized bindings even when every line it could write is below the level. Lines written
 * through it are the child's own; `child()` of it is lazy too.
 */
export function lazyChild(parent: Logger, bindings: Bindings): Logger {
  const state: Lazy = { parent, bindings, real: undefined };
  const proxy = new Proxy(state, handler) as unknown as Logger;
  states.set(proxy, state);
  return proxy;
}

import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
/** Read from the parent without making the child: the child has the parent's level. */
const PASS_THROUGH = new Set(['isLevelEnabled', 'level', 'levelVal', 'levels']);
const noop = () => {};
/** A lazy child → how it makes its real pino child. */
const makers = new WeakMap<object, () => Logger>();

const realOf = (logger: Logger): Logger => makers.get(logger)?.() ?? logger;

/**
 * `parent.child(bindings)`, made only when something is logged at an enabled level (or any
 * other member is used): a child per message or per filter run costs a pino instance and the
 * serialized bindings even when every line it could write is below the level. Lines written
 * through it are the child's own; `child()` of it is lazy too.
 */
export function lazyChild(parent: Logger, bindings: Bindings): Logger {
  let real: Logger | undefined;
  const make = () => {
    real ??= realOf(parent).child(bindings);
    return real;
  };
  const proxy = new Proxy(parent, {
    get(target, prop) {
      if (real === undefined) {
        if (typeof prop === 'string') {
          if (LEVELS.has(prop) && !target.isLevelEnabled(prop)) return noop;
          if (PASS_THROUGH.has(prop)) {
            const v = Reflect.get(target, prop);
            return typeof v === 'function' ? v.bind(target) : v;
          }
          if (prop === 'child') {
            return (b: Bindings, options?: ChildLoggerOptions) =>
              options ? make().child(b, options) : lazyChild(proxy, b);
          }
        }
      }
      const r = make();
      const v = Reflect.get(r, prop);
      return typeof v === 'function' ? v.bind(r) : v;
    },
    set(_target, prop, value) {
      return Reflect.set(make(), prop, value);
    },
  });
  makers.set(proxy, make);
  return proxy;
}

import type { Transaction } from '@koukan/db/schema';
import type { AttemptContext, AttemptRunner, AttemptVerdict } from '../types.ts';

export interface ScriptedCall {
  tx: Transaction;
  ctx: AttemptContext;
}

/**
 * The engine's input port driven by the test: not a mock of an external system, but the seam
 * where the filter chain plugs in. Each call asks `script` for the verdict; the test decides
 * per call (answer at once, throw, or wait on a promise it controls). Calls are recorded.
 */
export class ScriptedRunner implements AttemptRunner {
  readonly calls: ScriptedCall[] = [];
  private listeners: ((call: ScriptedCall) => void)[] = [];

  constructor(public script: (call: ScriptedCall) => AttemptVerdict | Promise<AttemptVerdict>) {}

  async run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict> {
    const call = { tx, ctx };
    this.calls.push(call);
    for (const l of this.listeners) l(call);
    return this.script(call);
  }

  /** Resolves with the next call matching `predicate` (or one already made). */
  nextCall(predicate: (call: ScriptedCall) => boolean = () => true): Promise<ScriptedCall> {
    const seen = this.calls.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listener = (call: ScriptedCall) => {
        if (!predicate(call)) return;
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(call);
      };
      this.listeners.push(listener);
    });
  }
}

const ok = { code: 250, message: '2.0.0 ok' };

/** Verdicts in the shape an SMTP upstream would give them. */
export const verdicts = {
  delivered: (host = 'mx.example.net'): AttemptVerdict => ({
    upstreamHost: host,
    mailResponse: ok,
    rcptResponse: [ok],
    dataResponse: { code: 250, message: '2.0.0 queued' },
  }),
  tempfail: (): AttemptVerdict => ({
    upstreamHost: 'mx.example.net',
    mailResponse: ok,
    rcptResponse: [{ code: 451, message: '4.3.0 try again later' }],
  }),
  rejected: (): AttemptVerdict => ({
    upstreamHost: 'mx.example.net',
    mailResponse: ok,
    rcptResponse: [{ code: 550, message: '5.1.1 no such user' }],
  }),
};

/** A promise with its resolve exposed, for runners that answer when the test says so. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

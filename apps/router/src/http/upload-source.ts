import type { Readable } from 'node:stream';

export class UploadStalledError extends Error {
  constructor(ms: number) {
    super(`no data for ${ms} ms`);
    this.name = 'UploadStalledError';
  }
}

/**
 * The request stream as an async iterable that fails when no bytes arrive for `idleMs`, so a
 * client that stalls mid-upload does not hold the request (and a pool connection) forever.
 * One timer for the whole upload, restarted at each wait (not a timer and a promise per chunk).
 */
export async function* withIdleTimeout(stream: Readable, idleMs: number): AsyncIterable<Buffer> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Only the waits for the client count: the consumer's time with a chunk does not.
  let waiting = false;
  let stall: (err: Error) => void = () => {};
  const stalled = new Promise<never>((_, reject) => {
    stall = reject;
  });
  stalled.catch(() => {});
  const timer = setTimeout(() => {
    if (waiting) stall(new UploadStalledError(idleMs));
  }, idleMs);
  try {
    for (;;) {
      timer.refresh(); // restarts it, also after it fired while the consumer held a chunk
      waiting = true;
      const next = await Promise.race([it.next(), stalled]);
      waiting = false;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

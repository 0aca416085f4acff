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
 */
export async function* withIdleTimeout(stream: Readable, idleMs: number): AsyncIterable<Buffer> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UploadStalledError(idleMs)), idleMs);
    });
    try {
      const next = await Promise.race([it.next(), stalled]);
      if (next.done) return;
      yield next.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

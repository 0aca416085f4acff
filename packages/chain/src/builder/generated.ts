import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes as a stream, for the large-attachment tests. */
export function generated(total: number): Readable {
  let offset = 0;
  let state = 0x9e3779b9;
  return new Readable({
    read() {
      if (offset >= total) return this.push(null);
      const n = Math.min(65536, total - offset);
      const buf = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        buf[i] = state >>> 24;
      }
      offset += n;
      this.push(buf);
    },
  });
}

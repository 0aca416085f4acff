import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UploadStalledError, withIdleTimeout } from './upload-source.ts';

async function collect(source: AsyncIterable<Buffer>, holdMs = 0): Promise<string> {
  let out = '';
  for await (const chunk of source) {
    out += chunk.toString();
    if (holdMs) await sleep(holdMs);
  }
  return out;
}

describe('withIdleTimeout', () => {
  it('passes the stream through', async () => {
    const s = new PassThrough();
    const done = collect(withIdleTimeout(s, 200));
    s.write('a');
    await sleep(50);
    s.end('b');
    await expect(done).resolves.toBe('ab');
  });

  it('fails when the client sends nothing for the idle time', async () => {
    const s = new PassThrough();
    const done = collect(withIdleTimeout(s, 100));
    s.write('a');
    await expect(done).rejects.toBeInstanceOf(UploadStalledError);
    s.destroy();
  });

  it('restarts the idle time at each chunk, and the consumer’s time does not count', async () => {
    const s = new PassThrough();
    const done = collect(withIdleTimeout(s, 120), 200);
    for (const piece of ['a', 'b', 'c']) {
      s.write(piece);
      await sleep(80);
    }
    s.end();
    await expect(done).resolves.toBe('abc');
  });
});

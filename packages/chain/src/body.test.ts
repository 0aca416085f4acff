import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bodyFromBuffer, bufferedBody } from './body.ts';

describe('bufferedBody', () => {
  it('gives a body of known size up to the bound as one Buffer', async () => {
    const bytes = Buffer.from('Subject: x\r\n\r\nhello\r\n');
    expect((await bufferedBody(bodyFromBuffer(bytes), 1024))?.equals(bytes)).toBe(true);
    const parts = {
      open: () => Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]),
      size: 22,
    };
    expect((await bufferedBody(parts, 22))?.equals(bytes)).toBe(true);
  });

  it('leaves an unsized, larger or longer-than-announced body to be streamed', async () => {
    const bytes = Buffer.alloc(100, 0x61);
    expect(await bufferedBody({ open: () => Readable.from([bytes]) }, 1024)).toBeUndefined();
    expect(await bufferedBody(bodyFromBuffer(bytes), 99)).toBeUndefined();
    const lying = { open: () => Readable.from([bytes]), size: 10 };
    expect(await bufferedBody(lying, 50)).toBeUndefined();
  });
});

import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { bodyFromBuffer, uploadBody } from './body.ts';

describe('uploadBody', () => {
  it('gives a body of at most the bound as one Buffer, sized or not', async () => {
    const bytes = Buffer.from('Subject: x\r\n\r\nhello\r\n');
    expect(await uploadBody(bodyFromBuffer(bytes), 1024)).toEqual(bytes);
    const parts = () => Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]);
    expect(await uploadBody({ open: parts, size: 22 }, 22)).toEqual(bytes);
    expect(await uploadBody({ open: parts }, 22)).toEqual(bytes);
  });

  it('streams a larger body whole, reading an unsized one only once', async () => {
    const chunks = [Buffer.alloc(60, 0x61), Buffer.alloc(60, 0x62), Buffer.alloc(60, 0x63)];
    let opened = 0;
    const open = () => {
      opened++;
      return Readable.from(chunks);
    };
    const sized = await uploadBody({ open, size: 180 }, 100);
    expect(Buffer.isBuffer(sized)).toBe(false);
    expect(await buffer(sized as Readable)).toEqual(Buffer.concat(chunks));
    const unsized = await uploadBody({ open }, 100);
    expect(Buffer.isBuffer(unsized)).toBe(false);
    expect(await buffer(unsized as Readable)).toEqual(Buffer.concat(chunks));
    expect(opened).toBe(2);
  });

  it('passes a read failure on', async () => {
    const failing = {
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('part');
            throw new Error('blob read failed');
          })(),
        ),
    };
    await expect(uploadBody(failing, 1024)).rejects.toThrow('blob read failed');
  });
});

import { describe, expect, it } from 'vitest';
import { limitBody } from './body-limit.ts';

const url = 'http://console.test/api/trpc/config.importPreview';

/** A body that streams `chunks` pieces of `size` bytes, counting how many were pulled. */
function streamed(chunks: number, size: number) {
  const pulled = { n: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.n === chunks) return controller.close();
      pulled.n++;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
  });
  return { body, pulled };
}

describe('limitBody', () => {
  it('refuses a declared Content-Length over the cap before reading a byte', async () => {
    const { body, pulled } = streamed(100, 1024);
    const req = new Request(url, {
      method: 'POST',
      headers: { 'content-length': String(100 * 1024) },
      body,
      duplex: 'half',
    } as RequestInit);
    const res = await limitBody(req, 10_000);
    expect(res).toBeInstanceOf(Response);
    expect((res as Response).status).toBe(413);
    expect(await (res as Response).json()).toMatchObject({ error: { field: 'body' } });
    expect(pulled.n).toBeLessThanOrEqual(1);
  });

  it('stops reading a chunked body as soon as it passes the cap', async () => {
    const { body, pulled } = streamed(100_000, 64 * 1024); // 6.5 GB if read to the end
    const req = new Request(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
    const res = await limitBody(req, 1024 * 1024);
    expect((res as Response).status).toBe(413);
    expect(pulled.n).toBeLessThan(20);
  });

  it('passes a body under the cap through unchanged', async () => {
    const json = JSON.stringify({ yaml: 'sender: []\n' });
    const req = new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    const out = await limitBody(req, 1024);
    expect(out).toBeInstanceOf(Request);
    expect(await (out as Request).text()).toBe(json);
    expect((out as Request).headers.get('content-type')).toBe('application/json');
  });
});

/**
 * A request body capped at `max` bytes, read before anything parses it: a declared
 * Content-Length over the cap is refused at once, a chunked body as soon as it passes the cap
 * (the rest is not read). Route handlers get no body limit from Next.js, and tRPC buffers the
 * whole body before any procedure (or its auth check) runs.
 */
export async function limitBody(req: Request, max: number): Promise<Request | Response> {
  if (req.method === 'GET' || req.method === 'HEAD' || !req.body) return req;
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > max) return tooLarge(max);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return tooLarge(max);
    }
    parts.push(value);
  }
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: Buffer.concat(parts),
    signal: req.signal,
  });
}

function tooLarge(max: number): Response {
  return Response.json(
    { error: { message: `request body over ${max} bytes`, field: 'body' } },
    { status: 413 },
  );
}

import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  json: any;
}

/**
 * A PUT over a real socket that writes `parts` one after another, optionally pausing
 * (`pause` ms) before the end or destroying the socket instead of finishing (`abort`).
 */
export function rawPut(
  url: string,
  headers: Record<string, string | number>,
  parts: Buffer[],
  options: { abort?: boolean; pauseMs?: number } = {},
): Promise<RawResponse | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.on('error', (err) => (options.abort ? resolve('aborted') : reject(err)));
    (async () => {
      for (const p of parts) {
        if (!req.write(p)) await new Promise((r) => req.once('drain', r));
      }
      if (options.abort) {
        await new Promise((r) => setTimeout(r, 200));
        req.destroy();
        resolve('aborted');
        return;
      }
      if (options.pauseMs) return; // leave the request hanging: the server must time it out
      req.end();
    })().catch(reject);
  });
}

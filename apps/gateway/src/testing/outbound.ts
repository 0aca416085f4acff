import { createHttpServer, type HttpTimeouts } from '../http/server.ts';
import { createMetrics } from '../metrics.ts';
import { ConnectionPool, type PoolOptions } from '../outbound/pool.ts';
import { OutboundStore } from '../outbound/store.ts';
import { silent } from './inbound.ts';

export const GATEWAY_TOKEN = 'test-gateway-token-0123456789';

/** The gateway's REST port on port 0, as the router's rest_output sees it. */
export async function startOutbound(
  pool: Partial<PoolOptions> = {},
  defaultNextHop?: { host: string; port: number; lmtp: boolean },
  http: Partial<HttpTimeouts> & { token?: string | undefined } = {},
) {
  const metrics = createMetrics();
  const connections = new ConnectionPool(
    {
      hostname: 'gateway.test',
      timeoutMs: 5_000,
      maxPerDestination: 4,
      messagesPerConnection: 100,
      idleMs: 5_000,
      ...pool,
    },
    silent,
    metrics,
  );
  const app = createHttpServer({
    store: new OutboundStore(60_000),
    pool: connections,
    logger: silent,
    token: 'token' in http ? http.token : GATEWAY_TOKEN,
    maxBodyBytes: 1024 * 1024,
    defaultLmtp: false,
    defaultNextHop,
    metrics,
    ready: () => true,
    ...http,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const call = async (method: string, path: string, body?: unknown, headers = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${GATEWAY_TOKEN}`,
        ...(typeof body === 'string'
          ? { 'content-type': 'message/rfc822' }
          : body
            ? { 'content-type': 'application/json' }
            : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      etag: res.headers.get('etag'),
      json: text ? JSON.parse(text) : undefined,
    };
  };
  return {
    url,
    app,
    call,
    metrics,
    /** Long-polls until the transaction is done. */
    async waitDone(id: string) {
      let { json, etag } = await call('GET', `/v1/transactions/${id}`);
      while (json.status !== 'done' && json.status !== 'cancelled') {
        const r = await call('GET', `/v1/transactions/${id}`, undefined, {
          'if-none-match': etag,
          'request-timeout': '10',
        });
        if (r.status === 200) ({ json, etag } = r);
      }
      return json;
    },
    async stop() {
      connections.shutdown();
      await app.close();
    },
  };
}

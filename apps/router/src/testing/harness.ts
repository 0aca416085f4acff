import { createApiKey, createSender, type Db, upsertChain } from '@koukan/db';
import { createTestDatabase, type TestDatabase, uniqueName } from '@koukan/db/testing';
import type { FastifyInstance } from 'fastify';
import { type BuildAppOptions, buildApp } from '../app.ts';

export interface Router {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** A router on port 0 against `t`. */
export async function startRouter(
  t: TestDatabase,
  options: Partial<BuildAppOptions> = {},
): Promise<Router> {
  const app = await buildApp({ db: t.db, pool: t.pool, logLevel: 'silent', ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Close gracefully; a connection still open 3 s later is cut. On the embedded database one
  // connection of the OpenAPI suite outlives close (not yet understood), which would otherwise
  // hold the suite's teardown until its hook times out.
  const close = async () => {
    const force = setTimeout(() => app.server.closeAllConnections(), 3000);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
    }
  };
  return { app, url: `http://127.0.0.1:${port}`, close };
}

export async function testDatabase(): Promise<TestDatabase> {
  return createTestDatabase();
}

/** A sender with its own API key; `exploder` puts the exploder in its chain. */
export async function makeSender(
  db: Db,
  options: { exploder?: boolean; enabled?: boolean } = {},
): Promise<{ name: string; id: string; key: string }> {
  const name = uniqueName('s');
  const chain = uniqueName('c');
  await upsertChain(db, {
    name: chain,
    author: 'test',
    filters: options.exploder
      ? [{ filter: 'exploder' }, { filter: 'rest_output' }]
      : [{ filter: 'message_builder' }, { filter: 'rest_output' }],
  });
  const sender = await createSender(db, {
    name,
    output_chain: chain,
    enabled: options.enabled ?? true,
  });
  const { key } = await createApiKey(db, { senderId: sender.id });
  return { name, id: sender.id, key };
}

export interface Res {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  json: any;
  text: string;
}

/** A small fetch client for one API key. */
export function client(url: string, key: string | null) {
  return async (
    method: string,
    path: string,
    init: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {},
  ): Promise<Res> => {
    const headers: Record<string, string> = { ...init.headers };
    if (key) headers.authorization = `Bearer ${key}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

export const MESSAGE = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello.\r\n';

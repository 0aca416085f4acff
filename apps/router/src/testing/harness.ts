import { createHash } from 'node:crypto';
import { createApiKey, createSender, type Db, readBlobStream, upsertChain } from '@koukan/db';
import type { FilterConfig } from '@koukan/db/schema';
import { type TestDatabase, uniqueName } from '@koukan/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { type BuildAppOptions, buildApp } from '../app.ts';
import { databaseSuite } from '../engine/testing/harness.ts';

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

type Setup = Partial<BuildAppOptions> & { stop?(): Promise<void> };

/**
 * The test file's database `t` and a `router` on it, filled in before its tests and closed after
 * them. `setup` gives the router's options, or starts what they need and returns them with a
 * `stop` that runs after the router has closed.
 */
export function routerSuite(setup: Setup | ((t: TestDatabase) => Promise<Setup>) = {}) {
  const t = databaseSuite();
  const router = {} as Router;
  let stop: Setup['stop'];
  beforeAll(async () => {
    const { stop: after, ...options } = typeof setup === 'function' ? await setup(t) : setup;
    stop = after;
    Object.assign(router, await startRouter(t, options));
  });
  afterAll(async () => {
    await router.close?.();
    await stop?.();
  });
  /** A new sender with a client for its key and `create`, which POSTs a transaction. */
  async function sender(options: Parameters<typeof makeSender>[1] = {}) {
    const s = await makeSender(t.db, options);
    const api = client(router.url, s.key);
    const create = (json: unknown, headers: Record<string, string> = {}) =>
      api('POST', `/v1/senders/${s.name}/transactions`, { json, headers });
    return { ...s, api, create };
  }
  return { t, router, sender };
}

/**
 * A sender with its own API key (a gateway key for `gateway`); its chain is `filters`, by default
 * the message builder (`exploder`: the exploder) before `rest_output`.
 */
export async function makeSender(
  db: Db,
  options: {
    exploder?: boolean;
    enabled?: boolean;
    gateway?: boolean;
    filters?: FilterConfig[];
  } = {},
): Promise<{ name: string; id: string; key: string }> {
  const name = uniqueName('s');
  const chain = uniqueName('c');
  const first = options.exploder ? 'exploder' : 'message_builder';
  const filters = options.filters ?? [{ filter: first }, { filter: 'rest_output' }];
  await upsertChain(db, { name: chain, author: 'test', filters });
  const sender = await createSender(db, {
    name,
    output_chain: chain,
    enabled: options.enabled ?? true,
  });
  const { key } = await createApiKey(db, { senderId: sender.id, gateway: options.gateway });
  return { name, id: sender.id, key };
}

export interface Res {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  json: any;
  text: string;
}

/** A small fetch client for one API key, with shorthands for a transaction's PATCH (with
 * If-Match), long-poll GET and body PUT. */
export function client(url: string, key: string | null) {
  const call = async (
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
  const tx = (id: string) => `/v1/transactions/${id}`;
  const patch = (id: string, json: unknown, ifMatch: string) =>
    call('PATCH', tx(id), { json, headers: { 'if-match': ifMatch } });
  /** A long-poll: GET with If-None-Match and Request-Timeout. */
  const poll = (id: string, etag: string, timeout: string) =>
    call('GET', tx(id), { headers: { 'if-none-match': etag, 'request-timeout': timeout } });
  const put = (id: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
    call('PUT', `${tx(id)}/body`, { body, headers });
  return Object.assign(call, { patch, poll, put });
}

/** An error answer `status` whose first detail names `field`. */
export function expectField(res: Res, status: number, field: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.json.error.details[0].field).toBe(field);
}

/** A 400 whose details name `field` (with a message matching `message`, if given). */
export function expect400(res: Res, field: string, message?: RegExp) {
  expect(res.status, res.text).toBe(400);
  expect(res.json.error.code).toBe('bad_request');
  const details = res.json.error.details as { field?: string; message: string }[];
  const hit = details.find((d) => d.field === field);
  expect(hit, JSON.stringify(details)).toBeDefined();
  if (message) expect(hit!.message).toMatch(message);
}

/** The SHA-256 (hex) of a stored blob's bytes. */
export async function storedHash(db: Db, blobId: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of readBlobStream(db, blobId)) h.update(c as Buffer);
  return h.digest('hex');
}

export const MESSAGE = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello.\r\n';

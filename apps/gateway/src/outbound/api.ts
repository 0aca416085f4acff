import { createHash } from 'node:crypto';
import { isValidEsmtpValue, mailboxProblem } from '@koukan/services/address';
import { dsnParamProblem, isDsnKeyword } from '@koukan/services/dsn-params';
import { AppError } from '@koukan/services/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LongPollCap } from '../http/limits.ts';
import type { Metrics } from '../metrics.ts';
import { OutboundBody } from './body.ts';
import { deliver } from './deliver.ts';
import type { ConnectionPool } from './pool.ts';
import { etagOf, type OutboundStore, type OutboundTxn, toJson } from './store.ts';

export interface OutboundApiDeps {
  store: OutboundStore;
  pool: ConnectionPool;
  logger: Logger;
  /** Shared bearer token of the router's rest_output; undefined = the API refuses every call. */
  token?: string;
  longPolls: LongPollCap;
  maxBodyBytes: number;
  defaultLmtp: boolean;
  /** Where to deliver when the create JSON has no remote_hosts (e.g. the LMTP mailbox store). */
  defaultNextHop?: { host: string; port: number; lmtp: boolean };
  metrics?: Metrics;
  /**
   * The absolute base URL of this replica (KOUKAN_GATEWAY_ADVERTISE_URL), put in `Location`, so
   * that with several replicas behind one address the router sends the body PUT, the polls and
   * the cancel of a transaction to the replica that holds it. Undefined: a relative Location.
   */
  advertiseUrl?: () => string | undefined;
}

// The same address rules as the router's API: these reach nodemailer and the SMTP wire.
const address = (allowNull: boolean) =>
  z.string().superRefine((value, issue) => {
    if (allowNull && value === '') return;
    const problem = mailboxProblem(value);
    if (problem) issue.addIssue({ code: 'custom', message: problem });
  });
const mailbox = (allowNull: boolean) =>
  z.object({
    m: address(allowNull),
    e: z
      .array(
        z
          .object({
            k: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'an ESMTP keyword'),
            p: z.string().max(1024).optional(),
          })
          .superRefine(({ k, p }, issue) => {
            // DSN parameters carry xtext-decoded values (nodemailer encodes them again)
            const problem = isDsnKeyword(k)
              ? dsnParamProblem(allowNull ? 'mail' : 'rcpt', k, p)
              : p !== undefined && !isValidEsmtpValue(p)
                ? 'an ESMTP value'
                : null;
            if (problem) issue.addIssue({ code: 'custom', path: ['p'], message: problem });
          }),
      )
      .max(16)
      .optional(),
  });
const createSchema = z.object({
  mail_from: mailbox(true),
  rcpt_to: z.array(mailbox(false)).min(1).max(1000),
  remote_hosts: z
    .array(
      z.object({
        host: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9._:[\]-]+$/, 'a host name or an IP address'),
        port: z.number().int().min(1).max(65535),
      }),
    )
    .min(1)
    .max(32)
    .optional(),
  lmtp: z.boolean().optional(),
  body: z.object({ inline: z.string() }).optional(),
});

const MAX_POLL_SECONDS = 30;

/**
 * The router's transaction protocol, served for its rest_output (DESIGN.md §6): create with the
 * envelope and the next hops, PUT the body (delivery starts with the PUT and the body streams
 * into the upstream's DATA as it arrives), long-poll the responses.
 */
export function registerOutboundRoutes(app: FastifyInstance, deps: OutboundApiDeps): void {
  const { store } = deps;

  // A body is left unread here: the PUT handler streams it (JSON keeps fastify's own parser).
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.post<{ Params: { sender: string } }>(
    '/v1/senders/:sender/transactions',
    async (req, reply) => {
      const parsed = createSchema.safeParse(req.body);
      if (!parsed.success) {
        throw new AppError('bad_request', 'invalid transaction', {
          details: parsed.error.issues.map((i) => ({
            field: i.path.join('.'),
            message: i.message,
          })),
        });
      }
      const key = idempotencyKey(req.headers['idempotency-key']);
      const digest = key && createHash('sha256').update(JSON.stringify(parsed.data)).digest('hex');
      const earlier = key ? store.byIdempotencyKey(key) : undefined;
      if (earlier && key) {
        if (earlier.idempotency?.digest !== digest) {
          throw new AppError('unprocessable', 'Idempotency-Key was used with another request', {
            details: [{ field: 'headers.idempotency-key', message: 'reused with another body' }],
          });
        }
        deps.logger.info(
          { outbound_txn: earlier.id },
          'idempotent create: the earlier transaction',
        );
        void reply.header('location', locationOf(earlier.id, deps));
        return sendTxn(reply.code(200), earlier);
      }
      const { body, lmtp, remote_hosts, ...addresses } = parsed.data;
      const fallback = deps.defaultNextHop;
      if (!remote_hosts && !fallback) {
        throw new AppError('unprocessable', 'no remote_hosts, and no default next hop configured', {
          details: [
            { field: 'remote_hosts', message: 'required (or KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP)' },
          ],
        });
      }
      const envelope = remote_hosts
        ? { ...addresses, remote_hosts, lmtp: lmtp ?? deps.defaultLmtp }
        : { ...addresses, remote_hosts: [fallback!], lmtp: lmtp ?? fallback!.lmtp };
      const t = store.create(
        req.params.sender,
        envelope,
        key && digest ? { key, digest } : undefined,
      );
      deps.logger.info(
        {
          outbound_txn: t.id,
          sender: t.sender,
          rcpts: envelope.rcpt_to.length,
          lmtp: envelope.lmtp,
        },
        'outbound transaction created',
      );
      if (body) {
        const bytes = Buffer.from(body.inline, 'utf8');
        if (bytes.length === 0) throw new AppError('bad_request', 'body.inline is empty');
        startDelivery(t, OutboundBody.fromBuffer(bytes, deps.maxBodyBytes), deps);
      }
      void reply.header('location', locationOf(t.id, deps));
      return sendTxn(reply.code(201), t);
    },
  );

  const streamed = { config: { streamsBody: true } };
  app.put<{ Params: { id: string } }>('/v1/transactions/:id/body', streamed, async (req, reply) => {
    const t = find(store, req.params.id);
    if (t.status !== 'waiting_body') throw new AppError('conflict', `transaction is ${t.status}`);
    const size = contentLength(req.headers['content-length']);
    if (size === 0) throw new AppError('bad_request', 'the body is a non-empty RFC 822 message');
    if (size !== undefined && size > deps.maxBodyBytes) {
      throw new AppError('payload_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`);
    }
    const body = new OutboundBody(req.raw, { maxBytes: deps.maxBodyBytes, size });
    startDelivery(t, body, deps);
    // Answered once the body is read: into the upstream's DATA, or dropped when the delivery
    // ended without it (refused envelope). The outcome is long-polled as before.
    await body.sourceDone;
    const failure = body.failure;
    if (failure?.reason === 'too_large') {
      throw new AppError('payload_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`);
    }
    if (failure?.reason === 'empty') {
      throw new AppError('bad_request', 'the body is a non-empty RFC 822 message');
    }
    return sendTxn(reply, t);
  });

  app.get<{ Params: { id: string } }>('/v1/transactions/:id', async (req, reply) => {
    const t = find(store, req.params.id);
    const etag = req.headers['if-none-match'];
    if (etag) {
      const seconds = Math.min(MAX_POLL_SECONDS, Number(req.headers['request-timeout']) || 0);
      const release = seconds > 0 && etag === etagOf(t) ? deps.longPolls.acquire() : undefined;
      let changed: boolean;
      try {
        changed = await store.waitForChange(t, etag, seconds * 1000);
      } finally {
        release?.();
      }
      if (!changed) return reply.code(304).header('etag', etagOf(t)).send();
    }
    return sendTxn(reply, t);
  });

  app.post<{ Params: { id: string } }>('/v1/transactions/:id/cancel', async (req, reply) => {
    const t = find(store, req.params.id);
    if (t.status === 'delivering') {
      // Stopped before the final dot when the body is still on its way; the transaction ends
      // `cancelled` once the upstream conversation is over. Too late: the outcome is reported.
      if (!t.cancel?.()) {
        throw new AppError('conflict', 'the message went upstream; its outcome will be reported');
      }
      t.cancelRequested = true;
      deps.logger.info({ outbound_txn: t.id }, 'outbound transaction cancelled while delivering');
    }
    if (t.status === 'waiting_body') store.update(t, { status: 'cancelled' });
    return sendTxn(reply, t);
  });
}

const KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw new AppError('bad_request', 'invalid Idempotency-Key', {
      details: [{ field: 'headers.idempotency-key', message: '1-255 visible ASCII characters' }],
    });
  }
  return header;
}

function locationOf(id: string, deps: OutboundApiDeps): string {
  const base = deps.advertiseUrl?.()?.replace(/\/+$/, '') ?? '';
  return `${base}/v1/transactions/${id}`;
}

function find(store: OutboundStore, id: string): OutboundTxn {
  const t = store.get(id);
  if (!t) throw new AppError('not_found', 'no such transaction (finished, expired or never here)');
  return t;
}

function sendTxn(reply: FastifyReply, t: OutboundTxn) {
  return reply.header('etag', etagOf(t)).send(toJson(t));
}

function contentLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const n = Number(header);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AppError('bad_request', 'invalid Content-Length', {
      details: [{ field: 'headers.content-length', message: 'not a byte count' }],
    });
  }
  return n;
}

function startDelivery(t: OutboundTxn, body: OutboundBody, deps: OutboundApiDeps): void {
  t.cancel = () => body.cancel();
  deps.store.update(t, { status: 'delivering' });
  const logger = deps.logger.child({ outbound_txn: t.id });
  const end = deps.metrics?.outboundDuration.startTimer();
  deliver(t.envelope, body, deps.pool, logger)
    .then((result) => {
      deps.store.update(t, { status: t.cancelRequested ? 'cancelled' : 'done', result });
      const outcome = result.data_response
        ? `data_${String(result.data_response.code)[0]}xx`
        : `mail_${String(result.mail_response?.code ?? 4)[0]}xx`;
      deps.metrics?.outboundDeliveries.inc({ outcome });
      logger.info({ upstream: result.upstream, outcome }, 'outbound delivery finished');
    })
    .catch((err: unknown) => {
      logger.error({ err }, 'outbound delivery failed unexpectedly');
      deps.store.update(t, {
        status: 'done',
        result: {
          mail_response: { code: 451, message: '4.3.0 Gateway internal error' },
          rcpt_response: t.envelope.rcpt_to.map(() => null),
          data_response: null,
          attempts: [],
        },
      });
    })
    .finally(() => {
      t.cancel = undefined;
      body.release();
      end?.();
    });
}

/** AppError → its HTTP status and JSON; anything else is a 500 that is logged. */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) return reply.code(err.httpStatus).send(err.toJSON());
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500) {
      return reply
        .code(status)
        .send({ error: { code: 'bad_request', message: (err as Error).message } });
    }
    logger.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  };
}

import { createHash } from 'node:crypto';
import {
  contentLengthOf,
  idempotencyKeySchema,
  type Mailbox,
  outboundCreateSchema,
  preferredWait,
  requestTimeoutOf,
} from '@koukan/protocol';
import type { LongPollLimiter } from '@koukan/protocol/server';
import { isValidEsmtpValue, mailboxProblem } from '@koukan/services/address';
import { dsnParamProblem, isDsnKeyword } from '@koukan/services/dsn-params';
import { AppError, parseInput } from '@koukan/services/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
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
  longPolls: LongPollLimiter;
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

// The protocol's shape with the router's address rules: these reach nodemailer and the SMTP wire.
const createSchema = outboundCreateSchema.superRefine((r, issue) => {
  const check = (box: Mailbox, path: (string | number)[], role: 'mail' | 'rcpt') => {
    const problem = role === 'mail' && box.m === '' ? null : mailboxProblem(box.m);
    if (problem) issue.addIssue({ code: 'custom', path: [...path, 'm'], message: problem });
    box.e?.forEach(({ k, p }, i) => {
      // DSN parameters carry xtext-decoded values (nodemailer encodes them again)
      const bad = isDsnKeyword(k)
        ? dsnParamProblem(role, k, p)
        : p !== undefined && !isValidEsmtpValue(p)
          ? 'an ESMTP value'
          : null;
      if (bad) issue.addIssue({ code: 'custom', path: [...path, 'e', i, 'p'], message: bad });
    });
  };
  check(r.mail_from, ['mail_from'], 'mail');
  for (const [i, box] of r.rcpt_to.entries()) check(box, ['rcpt_to', i], 'rcpt');
});

const idempotencyKeyHeader = idempotencyKeySchema.optional();

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
      const data = parseInput(createSchema, req.body, 'body');
      const key = parseInput(
        idempotencyKeyHeader,
        req.headers['idempotency-key'],
        'headers.idempotency-key',
      );
      const digest = key && createHash('sha256').update(JSON.stringify(data)).digest('hex');
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
      const { body, lmtp, remote_hosts, ...addresses } = data;
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
    const size = contentLengthOf(req.headers['content-length']);
    if (size === 0) throw new AppError('bad_request', 'the body is a non-empty RFC 822 message');
    if (size !== undefined && size > deps.maxBodyBytes) {
      throw new AppError('payload_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`);
    }
    const body = new OutboundBody(req.raw, { maxBytes: deps.maxBodyBytes, size });
    startDelivery(t, body, deps);
    // Answered once the body is read: into the upstream's DATA, or dropped when the delivery
    // ended without it (refused envelope). The outcome is long-polled as before, or, with
    // `Prefer: wait=<s>` (RFC 7240), given here when it comes within the wait.
    await body.sourceDone;
    const failure = body.failure;
    if (failure?.reason === 'too_large') {
      throw new AppError('payload_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`);
    }
    if (failure?.reason === 'empty') {
      throw new AppError('bad_request', 'the body is a non-empty RFC 822 message');
    }
    const wait = t.result ? 0 : preferredWait(req.headers.prefer);
    const release = wait > 0 ? placeFor(deps.longPolls) : undefined;
    if (release) await store.waitForChange(t, etagOf(t), wait * 1000).finally(release);
    return sendTxn(reply, t);
  });

  app.get<{ Params: { id: string } }>('/v1/transactions/:id', async (req, reply) => {
    const t = find(store, req.params.id);
    const etag = req.headers['if-none-match'];
    if (etag) {
      const seconds = requestTimeoutOf(req.headers['request-timeout'] as string | undefined);
      const release = seconds > 0 && etag === etagOf(t) ? deps.longPolls.acquire('') : undefined;
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

/** A long-poll place, or undefined when all are taken (then the answer does not wait). */
function placeFor(longPolls: LongPollLimiter): (() => void) | undefined {
  try {
    return longPolls.acquire('');
  } catch {
    return undefined;
  }
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
          mail_response: { code: 451, enhanced: '4.3.0', message: 'Gateway internal error' },
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

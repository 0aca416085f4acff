import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import {
  HttpClient,
  ProtocolClient,
  ProtocolError,
  type Reply,
  transactionOf,
} from '@koukan/protocol';
import { uploadBody } from '../body.ts';
import type { FilterContext } from '../filter.ts';
import type { FilterRun } from '../registry.ts';
import { temp, verdictFromResponse } from '../responses.ts';
import type { FilterResult, SmtpResponse, Verdict } from '../types.ts';
import type { RestOutputConfig } from './rest-output.schema.ts';
import { idempotencyKey, previousUpstream } from './rest-output-upstream.ts';

/** The transaction JSON of the protocol (only the fields rest_output reads). */
export type RemoteTransaction = {
  id: string;
  status?: string;
  mail_response?: SmtpResponse | null;
  rcpt_response?: (SmtpResponse | null)[];
  data_response?: SmtpResponse | null;
};

const FINAL_STATUSES = new Set(['delivered', 'failed', 'cancelled', 'done']);

class UpstreamError extends Error {
  constructor(readonly verdict: Verdict) {
    super(verdict.response.message);
  }
}

/** Is everything rest_output waits for known? */
export function responsesComplete(t: RemoteTransaction, nrcpt: number): boolean {
  if (t.status && FINAL_STATUSES.has(t.status)) return true;
  if (!t.mail_response) return false;
  if (t.mail_response.code >= 400) return true;
  const rcpt = t.rcpt_response ?? [];
  if (rcpt.length < nrcpt || rcpt.some((r) => !r)) return false;
  if (rcpt.every((r) => r!.code >= 400)) return true;
  return Boolean(t.data_response);
}

function toResult(t: RemoteTransaction, nrcpt: number): FilterResult {
  const missing = temp('upstream ended without a response', 451, '4.3.0');
  if (t.mail_response && t.mail_response.code >= 400) {
    return { kind: 'done', mail: verdictFromResponse(t.mail_response) };
  }
  const rcpt = Array.from({ length: nrcpt }, (_, i) => {
    const r = t.rcpt_response?.[i];
    return r ? verdictFromResponse(r) : missing;
  });
  const anyAccepted = rcpt.some((v) => v.kind === 'accept');
  const data = t.data_response
    ? verdictFromResponse(t.data_response)
    : anyAccepted
      ? missing
      : undefined;
  // an accepted recipient's final answer is the DATA answer
  const final = rcpt.map((v) => (v.kind === 'accept' && data ? data : v));
  return { kind: 'done', rcpt: final, ...(data ? { data } : {}) };
}

const safely = (res: Reply) => {
  try {
    return transactionOf(res) as RemoteTransaction;
  } catch {
    return undefined;
  }
};

function transactionFrom(res: Reply, what: string): RemoteTransaction {
  const t = safely(res);
  if (t) return t;
  throw new UpstreamError(temp(`${what}: invalid JSON from upstream`, 451, '4.3.0'));
}

function httpFailure(res: Reply, what: string): UpstreamError {
  return new UpstreamError(temp(`${what}: upstream answered HTTP ${res.status}`, 451, '4.3.0'));
}

/**
 * A body up to this is uploaded as one Buffer with a Content-Length (one socket write, no
 * chunked framing for the next hop to parse); a larger one streams chunked.
 */
const PUT_BUFFER_MAX = 256 * 1024;

/** One transport per connect timeout (the pools are shared by every run with that config). */
const transports = new Map<number, HttpClient>();
function clientFor(config: RestOutputConfig, apiKey: string | undefined): ProtocolClient {
  const connectTimeoutMs = config.connect_timeout * 1000;
  const http = transports.get(connectTimeoutMs) ?? new HttpClient({ connectTimeoutMs });
  transports.set(connectTimeoutMs, http);
  return new ProtocolClient({ baseUrl: config.url, ...(apiKey && { apiKey }), http });
}

/**
 * Terminal output speaking Koukan's transaction protocol: POST the envelope (with a small
 * UTF-8 body inline), else PUT the body (one Buffer with a Content-Length when small, else
 * streamed), long-poll GET until the mail/rcpt/data
 * responses are known.
 */
export const restOutput: FilterRun<'rest_output'> = async (tx, config, ctx) => {
  const failAll = (v: Verdict): FilterResult => ({ kind: 'done', data: v });
  if (!tx.body) return failAll(temp('no message body', 451, '4.3.0'));
  const apiKey = config.api_key_ref ? await ctx.secrets?.get(config.api_key_ref) : undefined;
  if (config.api_key_ref && !apiKey)
    return failAll(temp('rest_output credentials unavailable', 451, '4.3.0'));
  // the filter's own timeout, and the engine giving the attempt up
  const aborts = ctx.attempt ? eitherSignal(ctx.signal, ctx.attempt.signal) : undefined;
  try {
    return await deliver(tx, config, ctx, apiKey, aborts?.signal ?? ctx.signal);
  } catch (err) {
    const upstream =
      err instanceof ProtocolError && err.kind === 'status' && err.reply
        ? httpFailure(err.reply, 'poll')
        : err;
    if (upstream instanceof UpstreamError) {
      tx.event('upstream_error', { message: upstream.verdict.response.message });
      return failAll(upstream.verdict);
    }
    if (err instanceof ProtocolError && err.kind === 'timeout') {
      const connect = err.phase === 'connect';
      tx.event('upstream_timeout', { phase: connect ? 'connect' : 'response' });
      const v = connect
        ? temp('connect to next hop timed out', 451, '4.4.1')
        : temp('next hop response timed out', 451, '4.4.2');
      return failAll(v);
    }
    if (ctx.signal.aborted) throw err;
    const code = (err as { code?: string }).code ?? 'error';
    tx.event('upstream_unreachable', { error: code });
    return failAll(temp(`next hop unreachable (${code})`, 451, '4.4.1'));
  } finally {
    aborts?.release();
  }
};

/**
 * A signal aborted when `a` or `b` is, with its reason; `release` drops its listeners. (What
 * AbortSignal.any does, without a weak reference and a finalizer per call: ~17 µs less.)
 */
export function eitherSignal(a: AbortSignal, b: AbortSignal) {
  const both = new AbortController();
  const onA = () => both.abort(a.reason);
  const onB = () => both.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  const release = () => {
    a.removeEventListener('abort', onA);
    b.removeEventListener('abort', onB);
  };
  return { signal: both.signal, release };
}

/**
 * The whole body as text when it is at most `max` bytes of valid UTF-8 (so the JSON string
 * carries it byte for byte); undefined otherwise, having read no more than `max + 1` bytes.
 */
async function smallUtf8Body(body: Readable, max: number): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > max) return undefined;
      parts.push(buf);
    }
  } finally {
    body.destroy();
  }
  const bytes = Buffer.concat(parts, size);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

type Tx = Parameters<FilterRun<'rest_output'>>[0];

/** Did the upstream settle the message for good: accepted it for someone, or refused it? */
function settled(t: RemoteTransaction, nrcpt: number): boolean {
  const r = toResult(t, nrcpt);
  if (r.kind !== 'done') return false;
  const verdicts = [r.mail, ...(r.rcpt ?? []), r.data].filter((v) => v !== undefined);
  return verdicts.some((v) => v.kind !== 'temp');
}

const accepted = (t: RemoteTransaction) => Boolean(t.data_response && t.data_response.code < 300);

async function deliver(
  tx: Tx,
  config: RestOutputConfig,
  ctx: FilterContext,
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<FilterResult> {
  // (a copy per read: read once)
  const rcptTo = tx.rcptTo;
  const nrcpt = rcptTo.length;
  const client = clientFor(config, apiKey);
  const deadline = Date.now() + config.response_timeout * 1000;
  const remaining = () => Math.max(1, deadline - Date.now());
  const journal = ctx.attempt;

  let t: RemoteTransaction | undefined;
  let etag: string | undefined;
  let url: string | undefined;
  let needsBody = true;

  const prev = journal ? await previousUpstream(journal) : undefined;
  if (prev) {
    const res = await client
      .get(prev.url, { signal, timeoutMs: Math.min(remaining(), 30_000) })
      .catch((err: unknown) => (signal.aborted ? Promise.reject(err) : undefined));
    const found = res?.status === 200 ? transactionFrom(res, 'poll') : undefined;
    if (found && found.status !== 'waiting_body' && found.status !== 'cancelled') {
      if (!responsesComplete(found, nrcpt) || settled(found, nrcpt)) {
        // the previous attempt's upstream transaction is still delivering, or has its outcome
        tx.event('upstream_adopted', { id: prev.id, status: found.status });
        t = found;
        etag = res?.header('etag');
        url = prev.url;
        needsBody = false;
      }
    } else if (found) {
      void cancelUpstream(client, prev.url, ctx);
    } else if (prev.accepted) {
      // recorded as accepted by the attempt that died before its outcome was written
      tx.event('upstream_accepted_recovered', { id: prev.id });
      return toResult(prev.accepted as RemoteTransaction, nrcpt);
    } else {
      // its fate is unknown (the replica is gone): the message may now go out twice
      tx.event('upstream_possible_duplicate', { id: prev.id, http: res?.status ?? null });
    }
  }

  let inline: string | undefined;
  if (!t) {
    const hosts = config.send_remote_hosts ? tx.routing.remote_hosts : undefined;
    // A body known to be too large is not opened twice (here and for the PUT).
    const max = config.inline_body_max;
    const tooLarge = max === 0 || (tx.body?.size !== undefined && tx.body.size > max);
    inline = tooLarge ? undefined : await smallUtf8Body(tx.openBody(), max);
    const json = {
      mail_from: tx.mailFrom,
      rcpt_to: rcptTo,
      ...(hosts?.length ? { remote_hosts: hosts } : {}),
      ...(inline !== undefined && { body: { inline } }),
    };
    const key = idempotencyKey(tx.id, journal, rcptTo);
    const create = () =>
      client.create(config.sender, json, { idempotencyKey: key, signal, timeoutMs: remaining() });
    // a create whose answer was lost is sent once more: the key makes it the same transaction
    const created = await create().catch((err: unknown) => {
      if (signal.aborted || Date.now() >= deadline) throw err;
      ctx.logger.info({ err: String(err) }, 'create failed; retrying with the same key');
      return create();
    });
    if (created.status !== 201 && created.status !== 200) throw httpFailure(created, 'create');
    t = transactionFrom(created, 'create');
    etag = created.header('etag');
    url = client.transactionUrl(t.id, created.header('location'));
    const data = { id: t.id, url, base: client.base };
    if (journal) {
      // unrecorded, the next attempt could not find it: it must not deliver on its own
      await journal.record('upstream_created', data).catch((err: unknown) => {
        void cancelUpstream(client, data.url, ctx);
        throw err;
      });
    } else tx.event('upstream_created', data);
    if (inline !== undefined) tx.event('upstream_body_sent', { id: t.id, inline: true });
    ctx.logger.debug({ upstream_id: t.id, url }, 'upstream transaction created');
  }
  const target = url!;
  let current = t;
  try {
    current = await complete(current, etag, inline === undefined && needsBody);
  } catch (err) {
    // this attempt gives the upstream transaction up: it must not deliver behind our back
    void cancelUpstream(client, target, ctx);
    throw err;
  }
  if (journal && accepted(current)) {
    // before anything else: an attempt that follows a crash from here on does not send again
    await journal
      .record('upstream_accepted', { id: current.id, url: target, transaction: current })
      .catch((err: unknown) => ctx.logger.warn({ err }, 'recording upstream_accepted failed'));
  }
  const result = toResult(current, nrcpt);
  tx.event('upstream_done', {
    id: current.id,
    status: current.status,
    data: current.data_response?.code,
  });
  return result;

  async function complete(
    start: RemoteTransaction,
    startEtag: string | undefined,
    putBody: boolean,
  ): Promise<RemoteTransaction> {
    let t = start;
    let etag = startEtag;
    // (a refused MAIL FROM makes the responses complete)
    const rcpt = t.rcpt_response ?? [];
    const allRcptFailed = rcpt.length >= nrcpt && rcpt.every((r) => r && r.code >= 400);
    if (putBody && !allRcptFailed && !responsesComplete(t, nrcpt)) {
      // the upstream may answer with the outcome (Prefer: wait): then nothing is polled
      const wait = Math.min(config.poll_timeout, Math.floor(remaining() / 1000));
      const body = await uploadBody(tx.body!, PUT_BUFFER_MAX);
      const put = await client.putBody(target, body, {
        signal,
        timeoutMs: remaining(),
        headers: { prefer: `wait=${wait}` },
      });
      if (!put.ok) throw httpFailure(put, 'body upload');
      const answer = put.header('content-type')?.includes('json') ? safely(put) : undefined;
      if (answer) {
        t = answer;
        etag = put.header('etag') ?? etag;
      }
      tx.event('upstream_body_sent', { id: t.id });
    }
    const done = (r: RemoteTransaction) => (responsesComplete(r, nrcpt) ? r : undefined);
    const waited = await client.waitFor({ url: target, etag, transaction: t }, done, {
      deadline,
      pollSeconds: config.poll_timeout,
      signal,
    });
    return waited.value;
  }
}

/** Best effort, never awaited by the attempt: the upstream stops the message if it still can. */
async function cancelUpstream(client: ProtocolClient, url: string, ctx: FilterContext) {
  try {
    const res = await client.cancel(url, { timeoutMs: 10_000 });
    ctx.logger.info({ url, status: res.status }, 'upstream transaction cancelled');
  } catch (err) {
    ctx.logger.warn({ url, err: String(err) }, 'cancelling the upstream transaction failed');
  }
}

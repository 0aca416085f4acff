import type { Readable } from 'node:stream';
import type { RemoteHost } from '@koukan/protocol/schemas';
import type { Logger } from 'pino';
import type { MessageBuilderInput } from './builder/schema.ts';
import type { DnsResolve } from './dns.ts';

/** An SMTP-style response: `{ code: 250, enhanced: '2.0.0', message: 'ok' }`. */
export type SmtpResponse = { code: number; enhanced?: string; message: string };

/** A typed verdict for the message or for one recipient. */
export type Verdict = { kind: 'accept' | 'temp' | 'perm'; response: SmtpResponse };

/**
 * What a filter answers.
 * - `continue`: pass to the next filter; `rcpt` may finalise some recipients (e.g. a rejection),
 *   which are then not passed on.
 * - `done`: the chain stops here (terminal output or a message-level decision).
 */
export type FilterResult =
  | { kind: 'continue'; rcpt?: (Verdict | undefined)[] }
  | { kind: 'done'; mail?: Verdict; rcpt?: (Verdict | undefined)[]; data?: Verdict };

/** ESMTP parameter of a mailbox, e.g. `{ k: 'NOTIFY', p: 'FAILURE' }`. */
export type EsmtpParam = { k: string; p?: string };
export type Mailbox = { m: string; e?: EsmtpParam[] };

/** SMTP/session metadata of the downstream connection (absent fields are unknown). */
export type SessionInfo = {
  /** client IP address */
  remote_ip?: string;
  /** client host name (reverse DNS), if known */
  remote_host?: string;
  /** EHLO/HELO argument */
  helo?: string;
  /** our host name, as used in Received: and Authentication-Results: */
  local_host?: string;
  /** `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPSA`, `LMTP`, `HTTP`, `HTTPS` … (derived when absent) */
  protocol?: string;
  tls?: { protocol?: string; cipher?: string; bits?: number };
  /** AUTH identity (SMTP AUTH user or REST API key's sender) */
  auth?: { user: string; method?: string };
};

/** A message body: each `open()` returns a fresh stream, so filters can re-read it. */
export type BodySource = { open(): Readable; size?: number };

/** A next hop decided by `router`/`dns_resolution` for the terminal output. */
export type NextHop = RemoteHost;

/** Routing data that filters leave for later filters (per recipient index where relevant). */
export type RoutingData = {
  /** next-hop hosts in preference order, filled by `router` (smarthost) or `dns_resolution` */
  remote_hosts?: NextHop[];
  /** destination domain to resolve (set by `router` destination_domain policy) */
  destination_domain?: string;
  /** free-form data for later filters */
  [key: string]: unknown;
};

/** One delivery-timeline event recorded by a filter. */
export type ChainEvent = {
  filter: string;
  index: number;
  type: string;
  at: Date;
  data?: Record<string, unknown>;
};

/** A parsed header field (unfolded `value`, original `raw` lines without the final CRLF). */
export type HeaderField = { name: string; value: string; raw: string };

/** Results of `auth_check`, for later filters such as `policy`. */
export type AuthResults = {
  spf?: string;
  dkim?: { domain: string; result: string; aligned?: boolean }[];
  dmarc?: { result: string; policy?: string; domain?: string };
  arc?: string;
  header?: string;
};

/** The transaction as the chain sees it (the router builds one per attempt). */
export type ChainTransaction = {
  id: string;
  /** name of the sender whose chain runs */
  sender: string;
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  session?: SessionInfo;
  body?: BodySource;
  /** message-builder JSON body (validated and turned into `body` by `message_builder`) */
  message_builder?: MessageBuilderInput;
  /** message-builder-shaped JSON produced by `message_parser` */
  parsed?: unknown;
  routing?: RoutingData;
  auth_results?: AuthResults;
  tags?: string[];
};

// ---------------------------------------------------------------- ports

/** Reads blob content for message-builder parts (`create_id` uploads, `reuse_uri`). */
export interface BlobReader {
  open(ref: { create_id: string } | { reuse_uri: string }): Promise<Readable> | Readable;
}

/** Stores parsed attachments above the inline limit; returns a URI to reuse them. */
export interface BlobWriter {
  put(content: Readable, meta: { content_type?: string; filename?: string }): Promise<string>;
}

/** Storage of the sandbox inbox (implemented by the router over the database). */
export interface SandboxStore {
  store(msg: {
    transaction_id: string;
    sender: string;
    mail_from: Mailbox;
    rcpt_to: Mailbox[];
    body: Readable;
    mailbox?: string;
  }): Promise<{ id: string }>;
}

/** Submits a copy of a transaction to another sender's chain (`add_route`). */
export interface RouteSubmitter {
  /** store a new transaction for `sender` (asynchronous delivery) */
  enqueue(
    sender: string,
    tx: { mail_from: Mailbox; rcpt_to: Mailbox[]; body: Readable },
  ): Promise<{ id: string }>;
  /** run `sender`'s chain now and return its per-recipient verdicts */
  runSync?(
    sender: string,
    tx: { mail_from: Mailbox; rcpt_to: Mailbox[]; body: BodySource },
  ): Promise<{ rcpt: Verdict[]; data?: Verdict }>;
}

/** Secrets referenced from chain config (`private_key_ref`, `api_key_ref`), so that keys need
 * not live in the chain itself. Values must never be logged. */
export interface SecretStore {
  get(ref: string): Promise<string | undefined> | string | undefined;
}

/** A DKIM key ready to sign with (the private key as PEM; never logged). */
export interface DkimSigningKey {
  /** d= */
  domain: string;
  /** s= */
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  privateKey: string;
}

/** The sending domains' DKIM keys, for `dkim_sign` without explicit keys. */
export interface DkimKeyStore {
  /**
   * The keys that sign mail from `domain`: those of the configured sending domain that is
   * `domain` or its closest parent (relaxed alignment), currently active, one per algorithm.
   * Undefined when Koukan does not send for `domain`; `keys` empty when it has no active key.
   */
  keysFor(domain: string): Promise<{ domain: string; keys: DkimSigningKey[] } | undefined>;
}

/** One entry of an attempt's timeline. */
export type JournalEntry = { type: string; data: Record<string, unknown> };

/**
 * The engine's durable record of the running delivery attempt. `record` writes at once, not with
 * the attempt's outcome, so that the attempt after a crash or a timeout knows what this one did
 * upstream (rest_output: the upstream transaction it created, and that the upstream accepted).
 */
export interface AttemptJournal {
  attemptId: string;
  /** 1 for the first attempt of the transaction */
  attemptNumber: number;
  /** Aborted when the engine gives the attempt up (timeout, lost lease, stop). */
  signal: AbortSignal;
  record(type: string, data: Record<string, unknown>): Promise<void>;
  /** The timelines of the attempts before this one, oldest first (undefined for the first). */
  previous(): Promise<JournalEntry[] | undefined>;
}

/** Everything the environment gives a chain run. All ports are optional; filters that need a
 * missing port answer a temporary failure. */
export type ChainContext = {
  logger: Logger;
  dns?: DnsResolve;
  blobs?: BlobReader;
  blobWriter?: BlobWriter;
  sandbox?: SandboxStore;
  routes?: RouteSubmitter;
  secrets?: SecretStore;
  dkimKeys?: DkimKeyStore;
  /** the delivery attempt this run is, when the engine runs it */
  attempt?: AttemptJournal;
  /** host name used in Received:/Authentication-Results: */
  hostname?: string;
  now?: () => Date;
};

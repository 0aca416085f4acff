import type { schema } from '@koukan/db';
import { z } from 'zod';
import type { SmtpReplySummary, TransactionSummary } from './list-schema.ts';

export const transactionIdInputSchema = z.strictObject({
  id: z.guid({ message: 'a transaction id (UUID)' }),
});
export type TransactionIdInput = z.input<typeof transactionIdInputSchema>;

/** An SMTP reply as the upstream sent it, plus its parsed enhanced code. */
export interface SmtpReplyDetail extends SmtpReplySummary {
  /** `code text`, exactly as stored. */
  verbatim: string;
}

export interface AttemptDetail {
  id: string;
  number: number;
  instance_id: string | null;
  started_at: string;
  finished_at: string | null;
  /** finished_at − started_at in ms; null while running. */
  duration_ms: number | null;
  upstream_host: string | null;
  /** TLS parameters when the output reported them in the attempt's events; else null. */
  tls: Record<string, unknown> | null;
  outcome: schema.AttemptOutcome | null;
  error: string | null;
  mail_reply: SmtpReplyDetail | null;
  /** One per recipient, in envelope order (null: never answered). */
  rcpt_replies: (SmtpReplyDetail | null)[];
  data_reply: SmtpReplyDetail | null;
}

export interface EventDetail {
  id: number;
  at: string;
  type: string;
  attempt_id: string | null;
  data: Record<string, unknown>;
  /** ms since the previous event of this transaction (null for the first). */
  since_previous_ms: number | null;
}

export interface ChainAtRun {
  name: string | null;
  version: number | null;
  filters: schema.FilterConfig[];
  /**
   * `recorded`: the revision that ran, as the engine recorded it on the attempt; `current`: none is
   * recorded, so this is the chain's current revision (it may have changed since the run);
   * `missing`: the sender has no chain or it no longer exists.
   */
  revision_source: 'recorded' | 'current' | 'missing';
}

export interface LinkedTransaction {
  id: string;
  status: schema.TransactionStatus;
  recipients: string[];
  final_attempt_reason: string | null;
  created_at: string;
}

export interface TransactionDetail {
  transaction: TransactionSummary & {
    rcpt_to: schema.Mailbox[];
    mail_from_params: schema.Mailbox['e'];
    version: number;
    finished_at: string | null;
    lease_owner: string | null;
    lease_expires_at: string | null;
    cancel_requested_at: string | null;
    retry: schema.RetryPolicy | null;
    notification: schema.NotificationPolicy | null;
    metadata: Record<string, unknown>;
    /** Latest responses as stored on the transaction. */
    mail_reply: SmtpReplyDetail | null;
    rcpt_replies: (SmtpReplyDetail | null)[];
    data_reply: SmtpReplyDetail | null;
    body: {
      kind: 'rfc822' | 'message_builder' | 'none';
      status: 'uploading' | 'finalized' | null;
      size: number | null;
    };
  };
  sender: { id: string; name: string; output_chain: string | null };
  chain: ChainAtRun;
  attempts: AttemptDetail[];
  events: EventDetail[];
  /** The exploder transaction this one was fanned out of (for a DSN: see dsn_of). */
  parent: LinkedTransaction | null;
  /** Per-recipient transactions fanned out of this one, oldest first (at most 1000). */
  children: LinkedTransaction[];
  children_total: number;
  /** DSNs this transaction's failure produced. */
  dsns: LinkedTransaction[];
  /** For a DSN: the transaction it reports on. */
  dsn_of: LinkedTransaction | null;
}

/** What changes when anything happens to a transaction: cheap to poll for live updates. */
export interface TransactionStamp {
  id: string;
  status: schema.TransactionStatus;
  version: number;
  updated_at: string;
  /** Id of the newest timeline event (0: none). */
  last_event_id: number;
}

import { createHash, randomUUID } from 'node:crypto';
import type { AttemptJournal, JournalEntry, Mailbox } from '../types.ts';

/**
 * How rest_output keeps one message from being delivered twice by the next hop:
 *
 * - every create carries an `Idempotency-Key` derived from the attempt (transaction id, attempt
 *   number, recipient set), so a create retried after a lost response returns the same upstream
 *   transaction;
 * - the upstream transaction is addressed by the `Location` the create returned, so with several
 *   gateway replicas behind one address the body, the polls and the cancel reach the replica
 *   that holds it;
 * - the attempt's journal records, at once, the upstream transaction it created and that the
 *   upstream accepted the message; the next attempt after a crash or a timeout first asks that
 *   upstream transaction for its outcome instead of sending the message again.
 */

export function idempotencyKey(
  txId: string,
  journal: AttemptJournal | undefined,
  rcpt: Mailbox[],
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(rcpt.map((r) => r.m)))
    .digest('hex')
    .slice(0, 16);
  const attempt = journal ? String(journal.attemptNumber) : randomUUID();
  return `koukan-${txId}-${attempt}-${digest}`;
}

/** The transaction's URL: the create's absolute `Location` (a replica), else under the base. */
export function upstreamUrl(base: string, id: string, location: string | undefined): string {
  if (location && /^https?:\/\/[^/]+\/v1\/transactions\/[^/?#]+$/.test(location)) return location;
  return `${base}/v1/transactions/${encodeURIComponent(id)}`;
}

/** What the previous attempt left open upstream. */
export interface PreviousUpstream {
  id: string;
  url: string;
  /** the upstream transaction's JSON when the upstream had accepted the message */
  accepted?: unknown;
}

/**
 * The upstream transaction of the attempt before this one when that attempt did not finish with
 * it (killed, timed out, lost its lease): it recorded `upstream_created` but no `upstream_done`.
 */
export async function previousUpstream(
  journal: AttemptJournal,
): Promise<PreviousUpstream | undefined> {
  const prev = await journal.previous();
  if (!prev || prev.some((e) => e.type === 'upstream_done')) return undefined;
  const created = findLast(prev, 'upstream_created');
  const id = created?.data.id;
  const url = created?.data.url;
  if (typeof id !== 'string' || typeof url !== 'string') return undefined;
  const accepted = prev.find((e) => e.type === 'upstream_accepted' && e.data.id === id);
  return { id, url, ...(accepted && { accepted: accepted.data.transaction }) };
}

function findLast(entries: JournalEntry[], type: string): JournalEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.type === type) return entries[i];
  return undefined;
}

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
 *   upstream accepted the message; the next attempt after a crash or a timeout (however many
 *   attempts died in between) first asks that upstream transaction for its outcome instead of
 *   sending the message again.
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

/** What the previous attempt left open upstream. */
export interface PreviousUpstream {
  id: string;
  url: string;
  /** the upstream transaction's JSON when the upstream had accepted the message */
  accepted?: unknown;
}

/**
 * The last upstream transaction an earlier attempt created and no attempt finished with (killed,
 * timed out, lost its lease): the latest `upstream_created` with no `upstream_done` after it.
 * Every earlier attempt counts, not only the one just before: an attempt that adopted it, or
 * never got as far as rest_output, and then died too has recorded nothing of its own.
 */
export async function previousUpstream(
  journal: AttemptJournal,
): Promise<PreviousUpstream | undefined> {
  const earlier = (await journal.previous()) ?? [];
  const created = findLast(earlier, (e) => ['upstream_created', 'upstream_done'].includes(e.type));
  const id = created?.type === 'upstream_created' ? created.data.id : undefined;
  const url = created?.data.url;
  if (typeof id !== 'string' || typeof url !== 'string') return undefined;
  const accepted = earlier.find((e) => e.type === 'upstream_accepted' && e.data.id === id);
  return { id, url, ...(accepted && { accepted: accepted.data.transaction }) };
}

function findLast(
  entries: JournalEntry[],
  match: (e: JournalEntry) => boolean,
): JournalEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (match(entries[i]!)) return entries[i];
  return undefined;
}

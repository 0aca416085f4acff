import {
  durationToMs,
  type NotificationPolicy,
  type RetryPolicy,
  type Transaction,
} from '@koukan/db/schema';
import type { NextState } from '../delivery/decide.ts';
import type { DsnKind, DsnOptions } from './create-dsn.ts';
import { recipientDsnOf, wantsDsn } from './dsn-params.ts';

/** The router's default wait before a delay DSN when neither policy names one: 4 hours. */
const DEFAULT_DELAY_AFTER_MS = 4 * 60 * 60 * 1000;

/**
 * The transaction's notification policy, else its sender's; the delay settings fall back to the
 * sender's when the transaction's own policy (the exploder's `{enabled, sender}`) has none.
 */
export function effectivePolicy(
  own: NotificationPolicy | null | undefined,
  sender: NotificationPolicy | null | undefined,
): NotificationPolicy | null {
  const p = own ?? sender;
  if (!p) return null;
  const delayAfter = p.delay_after ?? sender?.delay_after;
  const withoutNotify = p.delay_without_notify ?? sender?.delay_without_notify;
  return {
    ...p,
    ...(delayAfter !== undefined && { delay_after: delayAfter }),
    ...(withoutNotify !== undefined && { delay_without_notify: withoutNotify }),
  };
}

/** How long after its arrival a transaction still being retried gets its delay DSN. */
function delayAfterMs(policy: NotificationPolicy, options: DsnOptions): number {
  if (policy.delay_after !== undefined) return durationToMs(policy.delay_after);
  return options.delayAfterMs ?? DEFAULT_DELAY_AFTER_MS;
}

/**
 * Which DSN an attempt's outcome calls for, if any (pure; `generateDsn` then picks the
 * recipients): `failure` when it failed for good; `success` when delivered and a recipient's
 * NOTIFY has SUCCESS; `delay` when it will be retried, it arrived at least the policy's
 * `delay_after` ago, it has had no delay DSN yet, and a recipient asked for DELAY (or gave no
 * NOTIFY and the policy says `delay_without_notify`). Never with the policy off.
 */
export function dsnDue(input: {
  current: Transaction;
  policy: NotificationPolicy | null;
  next: NextState;
  now: Date;
  options: DsnOptions;
}): DsnKind | undefined {
  const { current, policy, next } = input;
  if (!policy?.enabled) return undefined;
  if (next.status === 'failed') return 'failure';
  if (current.mailFrom.m === '' || current.metadata.dsn_for) return undefined;
  const asks = (event: 'SUCCESS' | 'DELAY') =>
    current.rcptTo.some((r) =>
      wantsDsn(recipientDsnOf(r.e), event, {
        delayWithoutNotify: policy.delay_without_notify === true,
      }),
    );
  if (next.status === 'delivered') return asks('SUCCESS') ? 'success' : undefined;
  if (next.status !== 'queued' || current.delayDsnAt) return undefined;
  const waited = input.now.getTime() - current.createdAt.getTime();
  if (waited < delayAfterMs(policy, input.options)) return undefined;
  return asks('DELAY') ? 'delay' : undefined;
}

/** The retry deadline (`Will-Retry-Until`): arrival + max_age, when the policy has one. */
export function willRetryUntil(
  current: Transaction,
  retry: RetryPolicy | null | undefined,
): Date | undefined {
  if (retry?.max_age === undefined) return undefined;
  return new Date(current.createdAt.getTime() + durationToMs(retry.max_age));
}

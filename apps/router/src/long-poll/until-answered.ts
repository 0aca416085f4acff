import type { LongPollLimiter } from '@koukan/protocol/server';
import {
  getTransactionView,
  type Principal,
  type ServiceContext,
  type TransactionView,
} from '@koukan/services';
import type { TransactionWatcher } from './watcher.ts';

const FINAL = new Set(['delivered', 'failed', 'cancelled']);

/**
 * After a body upload that asked `Prefer: wait=<s>`: waits as a long-poll does (within the
 * key's long-poll places, woken by change notifications) until the transaction has its DATA
 * answer or is final, so the client needs no poll of its own (the SMTP gateway's DATA reply).
 * The view it had when nothing came in time, or when the key has no long-poll place free.
 */
export async function untilAnswered(
  deps: { watcher: TransactionWatcher; longPolls: LongPollLimiter },
  ctx: ServiceContext,
  principal: Principal,
  view: TransactionView,
  seconds: number,
  closed: AbortSignal,
): Promise<TransactionView> {
  const answered = (v: TransactionView) => Boolean(v.data_response) || FINAL.has(v.status);
  if (seconds <= 0 || answered(view)) return view;
  let release: () => void;
  try {
    release = deps.longPolls.acquire(principal.keyPrefix);
  } catch {
    return view;
  }
  const deadline = Date.now() + seconds * 1000;
  let current = view;
  try {
    while (!answered(current) && !closed.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await deps.watcher.waitForChange(current.id, current.version, left, closed);
      if (r !== 'changed') break;
      current = await getTransactionView({ ctx, input: { principal, id: current.id } });
    }
  } finally {
    release();
  }
  return current;
}

import type { EventEmitter } from 'node:events';
import type { LongPollLimiter } from '@koukan/protocol/server';
import {
  getTransactionView,
  type Principal,
  type ServiceContext,
  type TransactionView,
  toView,
} from '@koukan/services';
import { ifNoneMatchHits } from '../http/etag.ts';
import type { CutThrough } from '../routes/deps.ts';
import type { TransactionWatcher } from './watcher.ts';

type Deps = { watcher: TransactionWatcher; longPolls: LongPollLimiter };

const FINAL = new Set(['delivered', 'failed', 'cancelled']);

/**
 * After a body upload that asked `Prefer: wait=<s>`: waits as a long-poll does (within the
 * key's long-poll places, woken by change notifications) until the transaction has its DATA
 * answer or is final, so the client needs no poll of its own (the SMTP gateway's DATA reply).
 * The view it had when nothing came in time, or when the key has no long-poll place free.
 */
export async function untilAnswered(
  deps: Deps & { cutThrough?: CutThrough },
  ctx: ServiceContext,
  principal: Principal,
  view: TransactionView,
  seconds: number,
  res: EventEmitter,
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
  const client = leaving(res);
  const closed = client.signal;
  let current = view;
  try {
    // Run by this process's engine: its outcome comes in-process, without a read (the body
    // stays as it was).
    const row = await deps.cutThrough?.recorded(view.id, deadline - Date.now(), closed);
    if (row) current = { ...toView(row, view.sender, new Map()), body: view.body };
    while (!answered(current) && !closed.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await deps.watcher.waitForChange(current.id, current.version, left, closed);
      if (r !== 'changed') break;
      current = await getTransactionView({ ctx, input: { principal, id: current.id } });
    }
  } finally {
    client.stop();
    release();
  }
  return current;
}

/**
 * GET of a transaction as a long-poll: its view, once its version is not the one `inm`
 * (If-None-Match) names, or after `seconds` (within the key's long-poll places, woken by change
 * notifications). When the notifications announced the version the client has, it waits first
 * and reads once after (a newer version on its way wakes the wait; the read checks access).
 */
export async function viewAfterChange(
  deps: Deps,
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  inm: string | undefined,
  seconds: number,
  res: EventEmitter,
): Promise<TransactionView> {
  const read = () => getTransactionView({ ctx, input: { principal, id } });
  const heard = deps.watcher.heardVersion(id);
  const waitFirst = seconds > 0 && heard !== undefined && ifNoneMatchHits(inm, heard);
  const view = waitFirst ? undefined : await read();
  if (view && (seconds <= 0 || !ifNoneMatchHits(inm, view.version))) return view;
  const release = deps.longPolls.acquire(principal.keyPrefix);
  const client = leaving(res);
  try {
    const since = view ? view.version : heard!; // without a view, the client has the one heard
    const outcome = await deps.watcher.waitForChange(id, since, seconds * 1000, client.signal);
    return outcome === 'changed' || !view ? await read() : view;
  } finally {
    client.stop();
    release();
  }
}

/** A signal of the client leaving: the response's close (a request's own 'close' fires once
 * its body has been read, which for a GET is at once). */
export function leaving(res: EventEmitter): { signal: AbortSignal; stop: () => void } {
  const left = new AbortController();
  const onClose = () => left.abort();
  res.once('close', onClose);
  // the wait is over: the response's own close (once it is sent) must not abort anything
  return { signal: left.signal, stop: () => res.off('close', onClose) };
}

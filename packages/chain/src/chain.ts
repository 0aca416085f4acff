import { type FilterContext, FilterTx } from './filter.ts';
import { lazyChild } from './lazy-logger.ts';
import { type FilterRun, filterRegistry } from './registry.ts';
import { accept, temp } from './responses.ts';
import type { Chain, ChainEntry, FilterName } from './schemas.ts';
import type { ChainContext, ChainEvent, ChainTransaction, FilterResult, Verdict } from './types.ts';

export type RunChainOptions = {
  /** seconds; used when an entry has no `timeout` (default 300) */
  defaultTimeout?: number;
  /** answer for recipients still in play when the chain ends without a terminal filter */
  endOfChain?: Verdict;
  /** implementations supplied by the host (e.g. the delivery engine's `exploder`) */
  implementations?: { [N in FilterName]?: FilterRun<N> };
};

export type ChainResult = {
  /** message-level answer (MAIL) */
  mail: Verdict;
  /** the final verdict per recipient of the original `rcpt_to`, in order (for a recipient
   * accepted at RCPT, the DATA answer) */
  rcpt: Verdict[];
  /** the DATA answer, absent when no recipient reached a terminal filter */
  data?: Verdict;
  events: ChainEvent[];
  /** index of the filter that ended the chain, if any */
  stoppedAt?: number;
  /** the (possibly rewritten) transaction */
  tx: ChainTransaction;
};

const NO_TERMINAL = temp('chain ended without an output filter', 451, '4.3.0');

class TimeoutError extends Error {}

/**
 * Walk the filters in order (early stop on `done`), each under a timeout that answers a
 * temporary failure; an exception becomes a 451 4.3.0 with an `internal_error` event.
 * Recipients failed by a filter are not passed to later ones. `tx` is mutated in place.
 */
export async function runChain(
  chain: Chain,
  tx: ChainTransaction,
  ctx: ChainContext,
  opts: RunChainOptions = {},
): Promise<ChainResult> {
  const now = ctx.now ?? (() => new Date());
  const events: ChainEvent[] = [];
  const rcpt: (Verdict | undefined)[] = tx.rcpt_to.map(() => undefined);
  const pending = () => rcpt.flatMap((v, i) => (v ? [] : [i]));
  const finish = (mail: Verdict, data: Verdict | undefined, stoppedAt?: number): ChainResult => ({
    mail,
    rcpt: rcpt.map((v) => v ?? data ?? NO_TERMINAL),
    ...(data ? { data } : {}),
    events,
    ...(stoppedAt === undefined ? {} : { stoppedAt }),
    tx,
  });

  for (const [index, entry] of chain.entries()) {
    const active = pending();
    if (active.length === 0) return finish(accept(), undefined);
    const handle = new FilterTx(tx, active, entry.filter, index, events, now);
    const result = await runOne(entry, index, handle, ctx, opts);

    if (result.rcpt && result.rcpt.length > active.length) {
      events.push({
        filter: entry.filter,
        index,
        type: 'internal_error',
        at: now(),
        data: { error: 'more verdicts than recipients' },
      });
      const v = temp('internal error', 451, '4.3.0');
      for (const i of active) rcpt[i] = v;
      return finish(accept(), v, index);
    }
    result.rcpt?.forEach((v, j) => {
      if (v) rcpt[active[j]!] = v;
    });
    if (result.kind === 'done') {
      if (result.mail && result.mail.kind !== 'accept') {
        for (const i of active) rcpt[i] ??= result.mail;
        return finish(result.mail, undefined, index);
      }
      // a recipient accepted at RCPT gets the DATA answer as its final verdict; recipients the
      // output did not answer individually share it too
      if (result.data) {
        for (const i of active) if (rcpt[i]?.kind === 'accept') rcpt[i] = result.data;
      }
      return finish(result.mail ?? accept(), result.data, index);
    }
  }
  if (pending().length === 0) return finish(accept(), undefined);
  const end = opts.endOfChain ?? NO_TERMINAL;
  return finish(accept(), end);
}

async function runOne(
  entry: ChainEntry,
  index: number,
  handle: FilterTx,
  ctx: ChainContext,
  opts: RunChainOptions,
): Promise<FilterResult> {
  const name = entry.filter;
  const logger = lazyChild(ctx.logger, { filter: name, filter_index: index, tx: handle.id });
  const run = (opts.implementations?.[name] ?? filterRegistry[name].run) as
    | FilterRun<typeof name>
    | undefined;
  const failAll = (v: Verdict): FilterResult => ({ kind: 'done', data: v });
  if (!run) {
    handle.event('unavailable');
    return failAll(temp(`filter ${name} is not available here`, 451, '4.3.0'));
  }
  const seconds = entry.timeout ?? opts.defaultTimeout ?? 300;
  // Made when a filter reads its signal (most never do), or at the timeout that aborts it.
  let abort: AbortController | undefined;
  const controller = () => {
    abort ??= new AbortController();
    return abort;
  };
  const fctx: FilterContext = {
    ...ctx,
    logger,
    get signal() {
      return controller().signal;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), seconds * 1000);
  });
  const work = Promise.resolve().then(() => run(handle, entry as never, fctx));
  try {
    const result = await Promise.race([work, timeout]);
    return result;
  } catch (err) {
    if (err instanceof TimeoutError) {
      controller().abort(new Error(`filter ${name} timed out`));
      logger.warn({ timeout_s: seconds }, 'filter timed out');
      handle.event('timeout', { seconds });
      return failAll(temp(`${name} timed out after ${seconds}s`, 451, '4.4.7'));
    }
    const message = err instanceof Error ? err.message : String(err);
    logger.error({ err }, 'filter failed');
    handle.event('internal_error', { error: message });
    return failAll(temp('internal error', 451, '4.3.0'));
  } finally {
    clearTimeout(timer);
    handle.seal();
    // a late completion (after the timeout) is ignored; a late rejection must not crash
    work.then(
      () => undefined,
      (err: unknown) => logger.debug({ err }, 'late filter failure ignored'),
    );
  }
}

import { lazyChild } from '@koukan/chain';
import { type ClaimedTransaction, type Db, renewLease } from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { type AttemptVerdict, type DsnOptions, recordAttemptOutcome } from '@koukan/services';
import type { Logger } from 'pino';
import type { ConfigCache } from './config-cache.ts';
import type { AttemptRunner } from './types.ts';

export interface AttemptDeps {
  db: Db;
  logger: Logger;
  runner: AttemptRunner;
  config: ConfigCache;
  owner: string;
  leaseMs: number;
  attemptTimeoutMs: number;
  dsn: DsnOptions;
  now: () => Date;
}

/** The row as the recorded outcome left it, or why nothing was recorded. */
export type AttemptEnd = Transaction | 'lease_lost' | 'record_failed';

export class AttemptAborted extends Error {
  constructor(readonly why: 'timeout' | 'lease_lost' | 'stopping') {
    super(`attempt aborted: ${why}`);
  }
}

/** Handle on a running attempt, so the engine can abort it on stop. */
export interface RunningAttempt {
  id: string;
  abort(why: AttemptAborted['why']): void;
  done: Promise<AttemptEnd>;
}

/**
 * Runs one claimed attempt: renews the lease every third of its length while the runner works,
 * aborts it on timeout or when the lease is lost, and records the outcome under the lease.
 * An attempt that lost its lease (or was aborted by a stop) writes nothing.
 */
export function runAttempt(deps: AttemptDeps, claimed: ClaimedTransaction): RunningAttempt {
  const { transaction: tx, attempt } = claimed;
  const log = lazyChild(deps.logger, { transactionId: tx.id, attemptId: attempt.id });
  const controller = new AbortController();
  // `abort` is the only way the controller aborts: it rejects `aborted` itself (no listener).
  let rejectAborted: (reason: AttemptAborted) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(() => {});
  const abort = (why: AttemptAborted['why']) => {
    if (controller.signal.aborted) return;
    const reason = new AttemptAborted(why);
    controller.abort(reason);
    rejectAborted(reason);
  };

  // The lease as this process knows it: if renewals keep failing (database unreachable),
  // stop before it runs out, since another replica may then take the transaction over.
  let leaseUntil = Date.now() + deps.leaseMs;
  const renewer = setInterval(async () => {
    try {
      const held = await renewLease(deps.db, {
        id: tx.id,
        owner: deps.owner,
        attemptId: attempt.id,
        leaseMs: deps.leaseMs,
      });
      if (held) leaseUntil = Date.now() + deps.leaseMs;
      else abort('lease_lost');
    } catch (err) {
      log.warn({ err }, 'lease renewal failed');
      if (Date.now() >= leaseUntil - deps.leaseMs / 3) abort('lease_lost');
    }
  }, deps.leaseMs / 3);
  const timeout = setTimeout(() => abort('timeout'), deps.attemptTimeoutMs);

  async function run(): Promise<AttemptEnd> {
    let verdict: AttemptVerdict | undefined;
    let error: string | undefined;
    let sender = deps.config.getSender(tx.senderId);
    if (!sender) {
      // A sender created since the last reload: reload now rather than run without its policy.
      await deps.config
        .refresh()
        .catch((err: unknown) => log.warn({ err }, 'config reload failed'));
      sender = deps.config.getSender(tx.senderId);
    }
    if (tx.cancelRequestedAt) {
      // Taken over after a cancel was requested: nothing more to try.
      error = 'cancelled before the attempt';
    } else {
      try {
        const chain = sender?.outputChain ? deps.config.getChain(sender.outputChain) : undefined;
        verdict = await Promise.race([
          deps.runner.run(tx, {
            signal: controller.signal,
            attemptId: attempt.id,
            attemptNumber: attempt.number,
            sender,
            chain,
            ...(claimed.body && { body: claimed.body }),
          }),
          aborted,
        ]);
      } catch (err) {
        if (err instanceof AttemptAborted && err.why === 'timeout') {
          error = `attempt timed out after ${deps.attemptTimeoutMs} ms`;
        } else if (err instanceof AttemptAborted) {
          log.warn({ why: err.why }, 'attempt aborted; its outcome is not recorded');
          return 'lease_lost';
        } else {
          error = err instanceof Error ? err.message : String(err);
        }
      }
    }
    clearInterval(renewer);
    clearTimeout(timeout);
    // A stop or lost lease that raced with a verdict still discards it.
    const reason = controller.signal.reason;
    if (reason instanceof AttemptAborted && reason.why !== 'timeout') return 'lease_lost';
    try {
      const result = await recordAttemptOutcome({
        ctx: { db: deps.db, logger: log, actor: `system:engine:${deps.owner}`, now: deps.now },
        input: {
          transactionId: tx.id,
          attemptId: attempt.id,
          owner: deps.owner,
          claimed: tx,
          ...(verdict && { verdict }),
          ...(error !== undefined && { error }),
          senderRetry: sender?.retry ?? null,
          senderNotification: sender?.notification ?? null,
          dsn: deps.dsn,
        },
      });
      if (!result.written) {
        log.warn('lease lost before the outcome was written; nothing recorded');
        return 'lease_lost';
      }
      log.info({ next: result.next, dsn: result.dsn }, 'attempt recorded');
      return result.transaction;
    } catch (err) {
      // The lease expires and another replica retries; this attempt is then abandoned.
      log.error({ err }, 'recording the attempt outcome failed');
      return 'record_failed';
    }
  }

  const done = run().finally(() => {
    clearInterval(renewer);
    clearTimeout(timeout);
  });
  return { id: tx.id, abort, done };
}

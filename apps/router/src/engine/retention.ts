import {
  collectUnreferencedBlobs,
  type Db,
  deleteAuditBefore,
  deleteFinishedTransactions,
  failBodylessTransactions,
  failSilentIncrementalTransactions,
  pruneDeadInstances,
  releaseFinishedBodies,
} from '@koukan/db';
import type { RetentionOptions } from './types.ts';

const DAY = 86_400_000;

export interface RetentionResult {
  bodiesReleased: number;
  transactionsDeleted: number;
  blobsCollected: number;
  bodylessFailed: number;
  /** Awaiting a body from a heartbeating sender gone silent (with their upstreams). */
  silentFailed: number;
  instancesPruned: number;
  auditDeleted: number;
}

export function retentionDefaults(o: RetentionOptions = {}): Required<RetentionOptions> {
  return {
    bodyAfterMs: o.bodyAfterMs ?? 7 * DAY,
    deleteAfterMs: o.deleteAfterMs ?? 30 * DAY,
    blobGraceMs: o.blobGraceMs ?? DAY,
    bodyTimeoutMs: o.bodyTimeoutMs ?? DAY,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 30 * 60_000,
    intervalMs: o.intervalMs ?? 60_000,
    batch: o.batch ?? 500,
    instanceStaleMs: o.instanceStaleMs ?? 10 * 60_000,
    auditAfterMs: o.auditAfterMs ?? 365 * DAY,
  };
}

/**
 * One bounded retention pass (each step at most `batch` rows): finished transactions release
 * their bodies after `bodyAfterMs` and are deleted after `deleteAfterMs` (a deleted row takes its
 * attempts and events with it); blobs unreferenced for `blobGraceMs` are collected; queued
 * transactions still without a body after `bodyTimeoutMs` fail with `downstream_timeout`, and
 * so do those of a heartbeating sender silent for `heartbeatTimeoutMs`;
 * instance rows without a heartbeat for `instanceStaleMs` are removed; audit entries older than
 * `auditAfterMs` are deleted.
 * Every step skips rows another replica has locked, so replicas run it concurrently.
 */
export async function runRetentionPass(
  db: Db,
  options: Required<RetentionOptions>,
  now: Date,
): Promise<RetentionResult> {
  const before = (ms: number) => new Date(now.getTime() - ms);
  const bodiesReleased = await releaseFinishedBodies(db, {
    finishedBefore: before(options.bodyAfterMs),
    limit: options.batch,
  });
  const transactionsDeleted = await deleteFinishedTransactions(db, {
    finishedBefore: before(options.deleteAfterMs),
    limit: options.batch,
  });
  const blobsCollected = await collectUnreferencedBlobs(
    db,
    before(options.blobGraceMs),
    options.batch,
  );
  const bodylessFailed = (
    await failBodylessTransactions(db, {
      createdBefore: before(options.bodyTimeoutMs),
      limit: options.batch,
    })
  ).length;
  const silentFailed = (
    await failSilentIncrementalTransactions(db, {
      silentSince: before(options.heartbeatTimeoutMs),
      limit: options.batch,
    })
  ).length;
  // A replica silent this long is dead (its leases expired long ago): drop its row.
  const instancesPruned = await pruneDeadInstances(db, options.instanceStaleMs);
  const auditDeleted = await deleteAuditBefore(db, before(options.auditAfterMs), options.batch);
  return {
    bodiesReleased,
    transactionsDeleted,
    blobsCollected,
    bodylessFailed,
    silentFailed,
    instancesPruned,
    auditDeleted,
  };
}

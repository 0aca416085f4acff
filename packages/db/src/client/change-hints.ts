import pg from 'pg';
import type { DbOrTx } from './create-db.ts';

/** A transaction's new version, as a statement of this process committed it. */
export interface Change {
  id: string;
  version: number;
}

/**
 * Takes the changes of the hot statements this process commits through one pool, after their
 * commit, and wakes the process's own waiters (the `TransactionWatcher`).
 */
export interface ChangeSink {
  changed(changes: readonly Change[]): void;
  /** Whether no other process may be waiting on a change (its NOTIFY can be left out). */
  canSkipHints(): boolean;
}

const sinks = new WeakMap<pg.Pool, Set<ChangeSink>>();

/** Registers `sink` for the statements committed through `pool`; returns the unregister function. */
export function registerChangeSink(pool: pg.Pool, sink: ChangeSink): () => void {
  let set = sinks.get(pool);
  if (!set) {
    set = new Set();
    sinks.set(pool, set);
  }
  set.add(sink);
  return () => set.delete(sink);
}

/**
 * The value of `koukan.notify` for a statement about to run on `db` (drizzle/0021), and the pool
 * whose sinks take its changes once it has returned (`announceChanges`). 'deferred' (no NOTIFY)
 * only when the statement is its own commit (on the pool, not inside an open transaction) and
 * every sink of the pool says no other process is waiting; else 'immediate' (the trigger
 * notifies, as for any other write).
 */
export function notifyMode(db: DbOrTx): { mode: 'deferred' | 'immediate'; pool?: pg.Pool } {
  const { client } = (db as unknown as { session: { client: unknown } }).session;
  const set = client instanceof pg.Pool ? sinks.get(client) : undefined;
  if (!set || set.size === 0) return { mode: 'immediate' };
  const pool = client as pg.Pool;
  for (const sink of set) if (!sink.canSkipHints()) return { mode: 'immediate', pool };
  return { mode: 'deferred', pool };
}

/** Hands committed changes to the sinks of `pool` (none: nothing to do). */
export function announceChanges(pool: pg.Pool | undefined, changes: readonly Change[]): void {
  if (!pool || changes.length === 0) return;
  for (const sink of sinks.get(pool) ?? []) sink.changed(changes);
}

/** The hints of a payload: one `<id>:<version>` (the trigger's) or several, comma-separated. */
export function parseHints(payload: string): Change[] {
  const out: Change[] = [];
  for (const part of payload.split(',')) {
    const at = part.lastIndexOf(':');
    if (at <= 0) continue;
    const version = Number(part.slice(at + 1));
    if (Number.isInteger(version)) out.push({ id: part.slice(0, at), version });
  }
  return out;
}

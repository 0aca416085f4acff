import type { PGlite } from '@electric-sql/pglite';
import { scopeStatementName } from './statement-names.ts';

/**
 * Shares PGlite's single backend session between many wire-protocol connections.
 *
 * PGlite has one session, so two connections must never interleave inside one unit of work:
 * an extended-query sequence (Parse, Bind, Describe, Execute … Sync) or an open transaction.
 * A connection takes the turn with its first message and keeps it until, after a Sync or a
 * simple Query, the session is idle outside a transaction. pglite-socket's own queue
 * interleaves extended-query messages of different connections outside transactions, which
 * corrupts the shared unnamed statement; this replaces it.
 *
 * Prepared statement names are made private to each connection (see scopeStatementName) and
 * deallocated when it goes away.
 *
 * It implements the queue interface that PGLiteSocketHandler calls.
 */
export class TurnQueue {
  private owner: number | null = null;
  /** Runs while the owner holds the turn between two of its messages (see armIdle). */
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly waiters: Array<{ id: number; grant: () => void; reject: (e: Error) => void }> =
    [];

  /** The prepared statements each connection created. */
  private readonly statements = new Map<number, Set<string>>();

  /**
   * `idleInTransactionMs`: a connection that holds the turn (open transaction or unfinished
   * extended-query sequence) and sends nothing for this long loses it, as PostgreSQL's
   * idle_in_transaction_session_timeout: its transaction is rolled back and `onIdleTimeout`
   * closes it, so one stalled client cannot stop every other component.
   */
  constructor(
    private readonly db: PGlite,
    private readonly options: {
      idleInTransactionMs?: number;
      onIdleTimeout?: (id: number) => void;
    } = {},
  ) {}

  async enqueue(
    id: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    if (this.owner !== id) await this.acquire(id);
    clearTimeout(this.idleTimer);
    const scoped = scopeStatementName(message, id);
    if (scoped.name && message[0] === 0x50) {
      const names = this.statements.get(id) ?? new Set<string>();
      this.statements.set(id, names);
      names.add(scoped.name);
    }
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(scoped.message, {
          onRawData: (chunk: Uint8Array) => {
            bytes += chunk.length;
            onData(chunk);
          },
        }),
      );
    } finally {
      if (endsUnit(message) && !this.inTransaction()) this.release(id);
      else if (this.owner === id) this.armIdle(id);
    }
    return bytes;
  }

  private armIdle(id: number): void {
    const ms = this.options.idleInTransactionMs;
    if (!ms) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.expire(id), ms);
    this.idleTimer.unref();
  }

  /** The owner sat idle holding the turn: roll back, hand the turn on, close the connection. */
  private async expire(id: number): Promise<void> {
    if (this.owner !== id) return;
    try {
      this.options.onIdleTimeout?.(id);
      if (!this.db.closed && this.inTransaction()) await this.db.exec('ROLLBACK');
    } catch {
      // the connection is being closed either way
    } finally {
      this.release(id);
    }
  }

  clearQueueForHandler(id: number): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.id === id) {
        this.waiters.splice(i, 1);
        w.reject(new Error('Handler disconnected'));
      }
    }
  }

  /**
   * A connection that goes away mid-transaction must not leave the session in it; its
   * prepared statements go with it.
   */
  async clearTransactionIfNeeded(id: number): Promise<void> {
    const names = this.statements.get(id);
    this.statements.delete(id);
    if (names?.size && !this.db.closed) {
      const sql = [...names].map((n) => `DEALLOCATE "${n.replaceAll('"', '""')}";`).join('\n');
      if (this.owner === null || this.owner === id) {
        await this.db.exec(sql).catch(() => {});
      }
    }
    if (this.owner !== id) return;
    try {
      // The server may be stopping: a closed database has no transaction left to roll back.
      if (!this.db.closed && this.inTransaction()) await this.db.exec('ROLLBACK');
    } catch {
      // Nothing to recover: the connection is gone either way.
    } finally {
      this.release(id);
    }
  }

  private inTransaction(): boolean {
    return (this.db as unknown as { isInTransaction(): boolean }).isInTransaction();
  }

  private acquire(id: number): Promise<void> {
    if (this.owner === null) {
      this.owner = id;
      return Promise.resolve();
    }
    return new Promise((grant, reject) => this.waiters.push({ id, grant, reject }));
  }

  private release(id: number): void {
    if (this.owner !== id) return;
    clearTimeout(this.idleTimer);
    const next = this.waiters.shift();
    this.owner = next ? next.id : null;
    next?.grant();
  }
}

// Frontend messages after which a unit of work may end: Sync, simple Query, Terminate, and the
// untyped startup packets (whose first byte is a length byte, 0 for any sane size).
const P = 0x50; // Parse
const B = 0x42; // Bind
const D = 0x44; // Describe
const E = 0x45; // Execute
const C = 0x43; // Close
const H = 0x48; // Flush
const d = 0x64; // CopyData
const midSequence = new Set([P, B, D, E, C, H, d]);

function endsUnit(message: Uint8Array): boolean {
  return !midSequence.has(message[0] ?? 0);
}

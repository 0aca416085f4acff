import { randomUUID } from 'node:crypto';

export interface WatchPeersOptions {
  /** Sends a control payload on the transactions channel (NOTIFY). */
  send: (payload: string) => void;
  /** How often a process with waiters says so again; default 10 s. */
  refreshMs?: number;
  /** How long a peer counts as watching after it said so; default 3 × refreshMs. */
  ttlMs?: number;
  /** How long after its LISTEN connection is up a process waits for the answers to its hello
   * before its writes leave hints out; default 1 s. */
  graceMs?: number;
}

const HELLO = 'hello:';
const WATCHING = 'watching:';

/**
 * Which other processes may be waiting on transactions, so that this process's writes can leave
 * their NOTIFY hints out when none is (drizzle/0021): its own waiters it wakes in-process.
 *
 * Every `TransactionWatcher` that listens says `watching:<id>` on the transactions channel when
 * it has waiters, again every `refreshMs` while it has, and in answer to a `hello:<id>` (sent by
 * each watcher when its LISTEN connection comes up) while it had waiters in the last `ttlMs`.
 * A peer counts as watching for `ttlMs` after it said so. A process whose LISTEN connection is
 * down, or came up less than `graceMs` ago, never leaves hints out.
 */
export class WatchPeers {
  readonly self = randomUUID();
  private readonly peers = new Map<string, number>();
  private readySince: number | null = null;
  private lastAnnounced = Number.NEGATIVE_INFINITY;
  private lastWaiting = Number.NEGATIVE_INFINITY;
  private readonly refreshMs: number;
  private readonly ttlMs: number;
  private readonly graceMs: number;

  constructor(private readonly options: WatchPeersOptions) {
    this.refreshMs = options.refreshMs ?? 10_000;
    this.ttlMs = options.ttlMs ?? 3 * this.refreshMs;
    this.graceMs = options.graceMs ?? 1000;
  }

  /** The LISTEN connection is up: asks the watching peers to say so. */
  connected(now = Date.now()): void {
    this.readySince = now;
    this.options.send(`${HELLO}${this.self}`);
    if (now - this.lastWaiting < this.ttlMs) this.announce(now);
  }

  disconnected(): void {
    this.readySince = null;
  }

  /** Takes a control payload; false when `payload` is not one (a change hint). */
  receive(payload: string, now = Date.now()): boolean {
    if (payload.startsWith(WATCHING)) {
      const peer = payload.slice(WATCHING.length);
      if (peer !== this.self) this.peers.set(peer, now);
      return true;
    }
    if (payload.startsWith(HELLO)) {
      const peer = payload.slice(HELLO.length);
      if (peer !== this.self && now - this.lastWaiting < this.ttlMs) this.announce(now);
      return true;
    }
    return false;
  }

  /**
   * This process has waiters (called when one registers and on each poll while any waits).
   * True when the peers may not have known it: changes they committed just before may have
   * gone unannounced, and the caller should poll soon.
   */
  waiting(now = Date.now()): boolean {
    const known = now - this.lastAnnounced < this.ttlMs;
    this.lastWaiting = now;
    if (now - this.lastAnnounced >= this.refreshMs) this.announce(now);
    return !known;
  }

  /** Whether writes of this process may leave their hints out (no other process is waiting). */
  canSkipHints(now = Date.now()): boolean {
    if (this.readySince === null || now - this.readySince < this.graceMs) return false;
    for (const [peer, at] of this.peers) {
      if (now - at < this.ttlMs) return false;
      this.peers.delete(peer);
    }
    return true;
  }

  private announce(now: number): void {
    this.lastAnnounced = now;
    this.options.send(`${WATCHING}${this.self}`);
  }
}

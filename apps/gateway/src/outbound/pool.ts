import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { type ConnectOptions, type Destination, UpstreamConnection } from './upstream.ts';

export interface PoolOptions extends ConnectOptions {
  maxPerDestination: number;
  messagesPerConnection: number;
  idleMs: number;
  /** Deliveries that may wait for a connection to one destination; past it, 451 at once. */
  maxQueuedPerDestination?: number;
  /** How long a delivery may wait for a connection before it gives up with 451. */
  queueTimeoutMs?: number;
}

/** A delivery that found the destination's waiting queue full, or waited too long in it. */
export class QueueError extends Error {
  readonly responseCode = 451;
  constructor(readonly response: string) {
    super(response);
    this.name = 'QueueError';
  }
}

interface Slot {
  idle: { conn: UpstreamConnection; timer: NodeJS.Timeout }[];
  active: number;
  waiting: { grant: () => void }[];
}

/**
 * Upstream connections kept per destination (host, port, protocol): consecutive messages reuse
 * an idle connection, at most `maxPerDestination` are open at once (others wait their turn), an
 * idle connection is closed after `idleMs`, and one carries at most `messagesPerConnection`.
 * The waiting queue of a destination is bounded in length and in time (issue 10 item 3): one
 * slow or unreachable destination cannot pile up deliveries without end; the router retries.
 */
export class ConnectionPool {
  private readonly slots = new Map<string, Slot>();
  private closing = false;

  constructor(
    private readonly options: PoolOptions,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** A connection to `d`: an idle one, a new one, or the next one freed. Throws on connect failure. */
  async acquire(d: Destination): Promise<{ conn: UpstreamConnection; reused: boolean }> {
    const slot = this.slot(d);
    while (slot.active >= this.options.maxPerDestination) await this.wait(slot, d);
    slot.active++;
    for (let entry = slot.idle.pop(); entry; entry = slot.idle.pop()) {
      clearTimeout(entry.timer);
      if (entry.conn.usable) return { conn: entry.conn, reused: true };
      this.metrics?.outboundConnections.dec();
    }
    try {
      const conn = await UpstreamConnection.open(d, this.options);
      this.metrics?.outboundConnections.inc();
      return { conn, reused: false };
    } catch (err) {
      this.done(slot);
      throw err;
    }
  }

  /** Gives a connection back: kept for the next message when `healthy`, closed otherwise. */
  release(conn: UpstreamConnection, healthy: boolean): void {
    const slot = this.slot(conn.destination);
    const keep =
      healthy && !this.closing && conn.usable && conn.messages < this.options.messagesPerConnection;
    if (keep) {
      const timer = setTimeout(() => {
        slot.idle = slot.idle.filter((e) => e.conn !== conn);
        this.close(conn);
      }, this.options.idleMs);
      timer.unref();
      slot.idle.push({ conn, timer });
    } else {
      this.close(conn);
    }
    this.done(slot);
  }

  /** Closes every idle connection (QUIT); in-flight ones close when released. */
  shutdown(): void {
    this.closing = true;
    for (const slot of this.slots.values()) {
      for (const { conn, timer } of slot.idle.splice(0)) {
        clearTimeout(timer);
        this.close(conn);
      }
    }
  }

  private close(conn: UpstreamConnection): void {
    this.metrics?.outboundConnections.dec();
    conn.quit();
    this.logger.debug(
      { destination: conn.destination, messages: conn.messages },
      'upstream closed',
    );
  }

  private done(slot: Slot): void {
    slot.active--;
    slot.waiting.shift()?.grant();
  }

  /** Waits for a place at `d`, within the queue's length and time bounds. */
  private wait(slot: Slot, d: Destination): Promise<void> {
    const max = this.options.maxQueuedPerDestination ?? 100;
    const where = `${d.host}:${d.port}`;
    if (slot.waiting.length >= max) {
      this.logger.warn({ destination: where, waiting: max }, 'outbound queue full');
      return Promise.reject(
        new QueueError(`451 4.4.5 Too many messages waiting for ${where}; try again later`),
      );
    }
    const ms = this.options.queueTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        slot.waiting = slot.waiting.filter((w) => w !== entry);
        reject(new QueueError(`451 4.4.5 Waited ${ms} ms for a connection to ${where}`));
      }, ms);
      slot.waiting.push(entry);
    });
  }

  private slot(d: Destination): Slot {
    const key = `${d.lmtp ? 'lmtp' : 'smtp'}://${d.host}:${d.port}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { idle: [], active: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }
}

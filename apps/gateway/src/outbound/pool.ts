import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { type ConnectOptions, type Destination, UpstreamConnection } from './upstream.ts';

export interface PoolOptions extends ConnectOptions {
  maxPerDestination: number;
  messagesPerConnection: number;
  idleMs: number;
}

interface Slot {
  idle: { conn: UpstreamConnection; timer: NodeJS.Timeout }[];
  active: number;
  waiting: (() => void)[];
}

/**
 * Upstream connections kept per destination (host, port, protocol): consecutive messages reuse
 * an idle connection, at most `maxPerDestination` are open at once (others wait their turn), an
 * idle connection is closed after `idleMs`, and one carries at most `messagesPerConnection`.
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
    while (slot.active >= this.options.maxPerDestination) {
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    }
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
    slot.waiting.shift()?.();
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

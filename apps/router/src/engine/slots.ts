/**
 * The engine's attempt slots on one replica. A slot is held by an attempt that works; an
 * attempt that waits for others (the exploder's fan-in) parks and holds none, then takes one
 * again to finish, ahead of new claims. Slots are shared between senders by max-min fairness:
 * the claim gives free slots to the senders holding the fewest (see `claimTransactions`), and
 * while due work was left unclaimed (contention), cut-through starts no attempt for a sender
 * already holding its share.
 */
export class Slots {
  /** Working attempts: transaction id → sender id. */
  private readonly active = new Map<string, string>();
  /** Parked attempts (waiting, no slot): transaction id → sender id. */
  private readonly parked = new Map<string, string>();
  private readonly perSender = new Map<string, number>();
  /** Parked attempts whose wait is over, waiting for a slot to finish. */
  private readonly resumers: (() => void)[] = [];
  private reserved = 0;
  /** The last claim pass filled every free slot: more due work may be waiting. */
  contended = false;

  constructor(
    readonly concurrency: number,
    /** Called whenever a slot may have become free. */
    private readonly onFree: () => void,
  ) {}

  /** Slots a new attempt may take now (resumers go first). */
  get free(): number {
    return Math.max(0, this.concurrency - this.active.size - this.reserved - this.resumers.length);
  }

  get working(): number {
    return this.active.size;
  }

  get waiting(): number {
    return this.parked.size;
  }

  /** Every attempt this replica runs, working or parked (never re-claimed by it). */
  ids(): string[] {
    return [...this.active.keys(), ...this.parked.keys()];
  }

  has(id: string): boolean {
    return this.active.has(id) || this.parked.has(id);
  }

  /** An attempt starts working (it was claimed or created for this replica). */
  take(id: string, senderId: string): void {
    if (this.has(id)) this.leave(id);
    this.active.set(id, senderId);
    this.count(senderId, 1);
  }

  /** An attempt ended, working or parked. */
  leave(id: string): void {
    const sender = this.active.get(id);
    if (sender !== undefined) {
      this.active.delete(id);
      this.count(sender, -1);
    } else {
      this.parked.delete(id);
    }
    this.freed();
  }

  /** A working attempt starts waiting: its slot is free for others. False if unknown. */
  park(id: string): boolean {
    const sender = this.active.get(id);
    if (sender === undefined) return false;
    this.active.delete(id);
    this.count(sender, -1);
    this.parked.set(id, sender);
    this.freed();
    return true;
  }

  /** A parked attempt takes a slot again; resolves once it has one (at once if one is free). */
  resume(id: string): Promise<void> {
    const back = () => {
      const sender = this.parked.get(id);
      if (sender === undefined) return; // ended meanwhile (aborted)
      this.parked.delete(id);
      this.active.set(id, sender);
      this.count(sender, 1);
    };
    if (this.resumers.length === 0 && this.active.size + this.reserved < this.concurrency) {
      back();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resumers.push(() => {
        back();
        resolve();
      });
    });
  }

  /**
   * A slot for a transaction about to be created (cut-through); false when none is due it —
   * then that transaction is left to the claim loop, which a freed slot now wakes.
   */
  reserve(senderId?: string): boolean {
    if (this.free <= 0 || (senderId !== undefined && !this.mayStart(senderId))) {
      this.contended = true;
      return false;
    }
    this.reserved++;
    return true;
  }

  /** Gives reserved slots back; `notify` false when nothing was free that was not before
   * (a claim returning its hold). */
  unreserve(n = 1, notify = true): void {
    this.reserved -= n;
    this.freed(notify);
  }

  /** Holds up to `n` free slots for a claim in flight; returns how many (give them back with
   * `unreserve` once the claimed attempts have taken theirs). */
  hold(n: number): number {
    const k = Math.min(n, this.free);
    this.reserved += k;
    return k;
  }

  /** Working attempts per sender, for the claim's fair share. */
  held(): { senders: string[]; counts: number[] } {
    const senders: string[] = [];
    const counts: number[] = [];
    for (const [s, n] of this.perSender) {
      senders.push(s);
      counts.push(n);
    }
    return { senders, counts };
  }

  /**
   * The share of slots one sender may hold while others wait: the slots divided between the
   * senders working now and one more that may be waiting.
   */
  share(): number {
    return Math.max(1, Math.ceil(this.concurrency / (this.perSender.size + 1)));
  }

  /** Under contention, a sender at its share starts nothing more by cut-through. */
  mayStart(senderId: string): boolean {
    return !this.contended || (this.perSender.get(senderId) ?? 0) < this.share();
  }

  /** Senders that may not start more by cut-through now. */
  overShare(): string[] {
    if (!this.contended) return [];
    const share = this.share();
    return [...this.perSender].filter(([, n]) => n >= share).map(([s]) => s);
  }

  private count(senderId: string, delta: number): void {
    const n = (this.perSender.get(senderId) ?? 0) + delta;
    if (n > 0) this.perSender.set(senderId, n);
    else this.perSender.delete(senderId);
  }

  private freed(notify = true): void {
    while (this.resumers.length > 0 && this.active.size + this.reserved < this.concurrency) {
      this.resumers.shift()!();
    }
    if (notify) this.onFree();
  }
}

/**
 * The per-client-address AUTH failure budget of one listener, across connections (issue 10
 * item 8): each failure delays its reply (`delayMs`, doubling per failure, at most 5 s); the
 * `budget`-th failure locks the address out for `lockoutMs` — every AUTH from it then gets
 * `421 4.7.0` and its connection is closed. Failures are forgotten `lockoutMs` after the last
 * one, and once a lock-out ends. A success does not reset the count (one valid key must not
 * buy an attacker fresh guesses).
 */
export interface AuthThrottleOptions {
  budget: number;
  lockoutMs: number;
  delayMs: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  last: number;
  lockedUntil: number;
}

const MAX_DELAY_MS = 5_000;
/** Addresses remembered at most; the oldest are dropped past it (bounded memory). */
const MAX_ENTRIES = 100_000;

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: AuthThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether `ip` is locked out now. */
  locked(ip: string): boolean {
    const e = this.current(ip);
    return e !== undefined && e.lockedUntil > this.now();
  }

  /**
   * Records a failure of `ip`: how long to delay the reply, and whether this failure used up
   * the budget (the address is locked out from now on).
   */
  fail(ip: string): { delayMs: number; failures: number; lockedOut: boolean } {
    const now = this.now();
    const e = this.current(ip) ?? { failures: 0, last: now, lockedUntil: 0 };
    e.failures++;
    e.last = now;
    const lockedOut = e.failures >= this.options.budget;
    if (lockedOut) e.lockedUntil = now + this.options.lockoutMs;
    this.entries.delete(ip);
    this.entries.set(ip, e);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const delayMs = Math.min(MAX_DELAY_MS, this.options.delayMs * 2 ** (e.failures - 1));
    return { delayMs, failures: e.failures, lockedOut };
  }

  private current(ip: string): Entry | undefined {
    const e = this.entries.get(ip);
    if (!e) return undefined;
    const now = this.now();
    const expired =
      e.lockedUntil > 0 ? e.lockedUntil <= now : now - e.last >= this.options.lockoutMs;
    if (expired) {
      this.entries.delete(ip);
      return undefined;
    }
    return e;
  }
}

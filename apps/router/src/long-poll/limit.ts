import { AppError } from '@koukan/services';

/**
 * Concurrent long-polls per API key (issue 10 item 7): each one holds a socket and a watcher
 * entry for up to 30 s, so one key may not hold more than `max` at once; past it, `429`.
 */
export class LongPollLimiter {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a place for `key`, or throws 429; call the returned function when the poll ends. */
  acquire(key: string): () => void {
    const n = this.held.get(key) ?? 0;
    if (n >= this.max) {
      throw new AppError(
        'too_many_requests',
        `at most ${this.max} concurrent long-polls per API key; retry without waiting or later`,
        {
          details: [
            { field: 'headers.request-timeout', message: 'too many concurrent long-polls' },
          ],
        },
      );
    }
    this.held.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}

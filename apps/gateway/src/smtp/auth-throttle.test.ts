import { describe, expect, it } from 'vitest';
import { loadEnv } from '../env.ts';
import { AuthThrottle } from './auth-throttle.ts';

describe('AuthThrottle (per client address, across connections)', () => {
  it('delays each failure twice as long as the last, at most 5 s, and locks out at the budget', () => {
    let now = 0;
    const t = new AuthThrottle({ budget: 5, lockoutMs: 60_000, delayMs: 1_000, now: () => now });
    const delays = [1, 2, 3, 4].map(() => t.fail('192.0.2.1'));
    expect(delays.map((d) => d.delayMs)).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(delays.some((d) => d.lockedOut)).toBe(false);
    expect(t.locked('192.0.2.1')).toBe(false);
    expect(t.fail('192.0.2.1')).toMatchObject({ failures: 5, lockedOut: true });
    expect(t.locked('192.0.2.1')).toBe(true);
    expect(t.locked('192.0.2.2')).toBe(false); // another address is not affected
    now += 60_000;
    expect(t.locked('192.0.2.1')).toBe(false); // the lock-out ends, and its count with it
    expect(t.fail('192.0.2.1')).toMatchObject({ failures: 1, delayMs: 1_000 });
  });

  it('forgets failures a lock-out period after the last one', () => {
    let now = 0;
    const t = new AuthThrottle({ budget: 3, lockoutMs: 10_000, delayMs: 0, now: () => now });
    t.fail('2001:db8::1');
    t.fail('2001:db8::1');
    now += 10_000;
    expect(t.fail('2001:db8::1')).toMatchObject({ failures: 1, lockedOut: false });
  });
});

describe('KOUKAN_SMTP_GREET_PAUSE_MS', () => {
  it('is a number for every listener or a per-listener list; defaults: MX 100 ms, MSA none', () => {
    expect(loadEnv({}).KOUKAN_SMTP_GREET_PAUSE_MS).toEqual({ mx: 100, msa: 0, smtps: 0 });
    expect(loadEnv({ KOUKAN_SMTP_GREET_PAUSE_MS: '250' }).KOUKAN_SMTP_GREET_PAUSE_MS).toEqual({
      mx: 250,
      msa: 250,
      smtps: 250,
    });
    expect(
      loadEnv({ KOUKAN_SMTP_GREET_PAUSE_MS: 'mx=300,smtps=50' }).KOUKAN_SMTP_GREET_PAUSE_MS,
    ).toEqual({ mx: 300, msa: 0, smtps: 50 });
    expect(() => loadEnv({ KOUKAN_SMTP_GREET_PAUSE_MS: 'mx=fast' })).toThrow(
      /KOUKAN_SMTP_GREET_PAUSE_MS/,
    );
  });
});

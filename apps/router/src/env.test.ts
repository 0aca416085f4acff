import { describe, expect, it } from 'vitest';
import { loadEnv, retentionOptions } from './env.ts';

describe('loadEnv', () => {
  it('applies defaults and refuses bad values', () => {
    const env = loadEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' });
    expect(env).toMatchObject({
      KOUKAN_ROUTER_PORT: 8000,
      KOUKAN_MAX_BODY_BYTES: 50 * 1024 * 1024,
      KOUKAN_UPLOAD_IDLE_TIMEOUT_MS: 30_000,
    });
    expect(() => loadEnv({})).toThrow(/DATABASE_URL/);
    expect(() => loadEnv({ DATABASE_URL: 'postgres://x/y', KOUKAN_MAX_BODY_BYTES: '-1' })).toThrow(
      /KOUKAN_MAX_BODY_BYTES/,
    );
  });

  it('passes only the retention knobs that are set; the engine keeps its defaults', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/x';
    expect(retentionOptions(loadEnv({ DATABASE_URL: url }))).toEqual({});
    const env = loadEnv({
      DATABASE_URL: url,
      KOUKAN_BODY_TIMEOUT_MS: '2000',
      KOUKAN_HEARTBEAT_TIMEOUT_MS: '300000',
      KOUKAN_RETENTION_INTERVAL_MS: '500',
      KOUKAN_BODY_RETENTION_MS: '3600000',
      KOUKAN_TRANSACTION_RETENTION_MS: '7200000',
      KOUKAN_BLOB_GRACE_MS: '60000',
    });
    expect(retentionOptions(env)).toEqual({
      bodyTimeoutMs: 2000,
      heartbeatTimeoutMs: 300_000,
      intervalMs: 500,
      bodyAfterMs: 3_600_000,
      deleteAfterMs: 7_200_000,
      blobGraceMs: 60_000,
    });
    // An interval of 0 would spin; a timeout of 0 would fail every upload at once.
    expect(() => loadEnv({ DATABASE_URL: url, KOUKAN_RETENTION_INTERVAL_MS: '0' })).toThrow(
      /KOUKAN_RETENTION_INTERVAL_MS/,
    );
    expect(() => loadEnv({ DATABASE_URL: url, KOUKAN_BODY_TIMEOUT_MS: 'soon' })).toThrow(
      /KOUKAN_BODY_TIMEOUT_MS/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';

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
});

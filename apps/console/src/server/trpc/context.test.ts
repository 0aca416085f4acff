import { describe, expect, it } from 'vitest';
import { requestIdFrom } from './context.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it("keeps a caller's plausible request id", () => {
    expect(requestIdFrom(new Headers({ 'x-request-id': 'lb-7f3a:42' }))).toBe('lb-7f3a:42');
  });

  it('replaces an id that is too long, has spaces or control characters, or is missing', () => {
    const hostile = ['x'.repeat(129), 'a b', 'id\u0007bell', 'é', ''];
    for (const id of hostile) {
      expect(requestIdFrom(new Headers({ 'x-request-id': id }))).toMatch(uuid);
    }
    expect(requestIdFrom(new Headers())).toMatch(uuid);
  });
});

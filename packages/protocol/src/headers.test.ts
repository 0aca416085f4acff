import { describe, expect, it } from 'vitest';
import { preferredWait } from './headers.ts';

describe('preferredWait (Prefer: wait, RFC 7240)', () => {
  it.each([
    ['wait=10', 10],
    ['wait="10"', 10],
    ['respond-async, wait=5', 5],
    ['handling=lenient; wait = 7', 7],
    [['return=minimal', 'wait=3'], 3],
    ['wait=400000000000000000000', 30],
  ])('%j is %d seconds', (header, seconds) => {
    expect(preferredWait(header)).toBe(seconds);
  });

  it.each([
    [undefined],
    [''],
    ['nowait=10'],
    ['wait=-1'],
    ['wait=1.5'],
    ['wait="10'],
    ['wait=ten'],
  ])('%j is no wait', (header) => {
    expect(preferredWait(header)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import { parseContentRange } from './content-range.ts';

describe('parseContentRange', () => {
  it('parses ranges, unknown totals and the finalize form', () => {
    expect(parseContentRange(undefined)).toBeUndefined();
    expect(parseContentRange('bytes 0-9/10')).toEqual({
      kind: 'bytes',
      start: 0,
      end: 9,
      total: 10,
    });
    expect(parseContentRange('bytes 10-19/*')).toEqual({
      kind: 'bytes',
      start: 10,
      end: 19,
      total: null,
    });
    expect(parseContentRange(' bytes */20 ')).toEqual({ kind: 'empty', total: 20 });
  });

  it.each([
    'bytes=0-9',
    'bytes 0-9',
    'bytes 9-0/10',
    'bytes 0-10/10',
    'bytes -1-2/3',
    'items 0-1/2',
    '',
  ])('refuses %j with a 400 naming the header', (h) => {
    try {
      parseContentRange(h);
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('bad_request');
      expect(isAppError(err) && err.details[0]?.field).toBe('headers.content-range');
    }
  });
});

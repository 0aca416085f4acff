import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { applyServerErrors, errorAt, toFormPath } from './form-errors.ts';

function refused(fields: { field?: string; message: string }[]) {
  return TRPCClientError.from({
    error: { code: -32600, message: 'bad', data: { code: 'BAD_REQUEST', fields } },
  } as never);
}

describe('server field errors on a form', () => {
  it('turns service paths into form paths', () => {
    expect(toFormPath('patch.retry.schedule[0]', 'patch')).toBe('retry.schedule.0');
    expect(toFormPath('retry.schedule.0')).toBe('retry.schedule.0');
    expect(toFormPath('output_chain', 'patch')).toBe('output_chain');
  });

  it('sets known fields and returns the rest for a form-level panel', () => {
    const set: [string, string][] = [];
    const rest = applyServerErrors(
      refused([
        { field: 'patch.output_chain', message: 'unknown chain' },
        { field: 'expected_version', message: 'stale' },
        { message: 'no field' },
      ]),
      (name, e) => set.push([String(name), e.message ?? '']),
      ['output_chain', 'retry'],
      'patch',
    );
    expect(set).toEqual([['output_chain', 'unknown chain']]);
    expect(rest).toEqual(['expected_version: stale', 'no field']);
  });

  it('finds the first message at or under a path', () => {
    const errors = {
      retry: { schedule: [undefined, { message: 'a duration', type: 'invalid' }] },
      name: { message: 'required', type: 'required' },
    };
    expect(errorAt(errors as never, 'name')).toBe('required');
    expect(errorAt(errors as never, 'retry.schedule')).toBe('item 2: a duration');
    expect(errorAt(errors as never, 'description')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { chainErrors, serverErrors } from './entry-errors.ts';

describe('chain editor errors', () => {
  it("names each filter's errors by path inside it, as the server's validator does", () => {
    const errors = chainErrors([
      { filter: 'received_header' },
      { filter: 'router', policies: [{ type: 'smarthost', smarthost: 'bad host!' }] },
      { filter: 'rest_output', url: 'http://x', sender: 's', colour: 'red' },
    ]);
    expect(errors[0]).toEqual({});
    expect(Object.keys(errors[1]!)).toEqual(['policies[0].smarthost']);
    expect(errors[2]).toEqual({ colour: ['unknown key "colour"'] });
  });

  it("maps the server's field errors (filters[2].url) back to their filter", () => {
    const out = serverErrors(
      [
        { field: 'filters[1].url', message: 'bad url' },
        { field: 'expected_version', message: 'moved on' },
        { field: 'filters[9].x', message: 'out of range' },
      ],
      2,
    );
    expect(out).toEqual([{}, { url: ['bad url'] }]);
  });
});

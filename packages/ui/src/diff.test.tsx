import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { diffLines, diffText, SideBySideDiff } from './diff.tsx';

describe('diffLines', () => {
  it('keeps equal lines, pairs changed ones, and lists the rest as removed or added', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne')).toEqual([
      { kind: 'same', left: 0, right: 0, text: 'a' },
      { kind: 'changed', left: 1, right: 1, before: 'b', after: 'B' },
      { kind: 'same', left: 2, right: 2, text: 'c' },
      { kind: 'same', left: 3, right: 3, text: 'd' },
      { kind: 'added', right: 4, text: 'e' },
    ]);
    expect(diffLines('x\ny', '')).toEqual([
      { kind: 'removed', left: 0, text: 'x' },
      { kind: 'removed', left: 1, text: 'y' },
    ]);
  });

  it('compares values as sorted JSON, so key order does not show as a change', () => {
    expect(diffText({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(diffText({ a: [{ c: 2, d: 1 }], b: 1 }));
  });
});

describe('SideBySideDiff', () => {
  it('shows both sides with line numbers and words for the changes', () => {
    render(
      <SideBySideDiff
        before={{ filter: 'sandbox', mailbox: 'one' }}
        after={{ filter: 'sandbox', mailbox: 'two' }}
        beforeLabel="Revision 1"
        afterLabel="Revision 2"
      />,
    );
    const table = screen.getByRole('table');
    expect(within(table).getByRole('columnheader', { name: 'Revision 1' })).toBeTruthy();
    expect(within(table).getByText(/1 changed line/)).toBeTruthy();
    const changed = table.querySelector('tr[data-kind="changed"]')!;
    expect(changed.textContent).toContain('changed from: ');
    expect(changed.textContent).toContain('"mailbox": "one"');
    expect(changed.textContent).toContain('changed to: ');
    expect(changed.textContent).toContain('"mailbox": "two"');
  });

  it('says so when there is no difference', () => {
    render(<SideBySideDiff before="same" after="same" />);
    expect(screen.getByText('no differences')).toBeTruthy();
  });
});

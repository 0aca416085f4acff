import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { diffLines, SideBySideDiff } from './diff.tsx';

describe('diffLines', () => {
  it('aligns equal lines and pairs a removal with the addition after it', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne')).toEqual([
      { kind: 'same', left: 1, right: 1, text: 'a' },
      { kind: 'changed', left: 2, right: 2, before: 'b', after: 'B' },
      { kind: 'same', left: 3, right: 3, text: 'c' },
      { kind: 'same', left: 4, right: 4, text: 'd' },
      { kind: 'added', right: 5, text: 'e' },
    ]);
  });

  it('shows a moved block as removed then added, and empty texts as nothing', () => {
    expect(diffLines('x\ny\nz', 'y\nz\nx').map((r) => r.kind)).toEqual([
      'removed',
      'same',
      'same',
      'added',
    ]);
    expect(diffLines('', '')).toEqual([]);
    expect(diffLines('', 'one')).toEqual([{ kind: 'added', right: 1, text: 'one' }]);
  });
});

describe('SideBySideDiff', () => {
  it('renders a named table whose changes are marked in words', () => {
    render(
      <SideBySideDiff
        label="Chain filters"
        before={'{\n  "filter": "router"\n}'}
        after={'{\n  "filter": "exploder"\n}'}
        beforeLabel="Revision 1"
        afterLabel="Revision 2"
      />,
    );
    const table = screen.getByRole('table', { name: 'Chain filters' });
    expect(within(table).getByRole('columnheader', { name: 'Revision 1' })).toBeTruthy();
    expect(within(table).getByText('1 changed line')).toBeTruthy();
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[2]!.textContent).toMatch(/removed: +"filter": "router"/);
    expect(rows[2]!.textContent).toMatch(/added: +"filter": "exploder"/);
  });

  it('says when there is no difference', () => {
    render(<SideBySideDiff label="Same" before="a" after="a" />);
    expect(screen.getByText('No differences')).toBeTruthy();
  });
});

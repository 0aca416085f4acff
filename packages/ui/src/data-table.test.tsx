import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { columnHelper, DataTable } from './data-table.tsx';

interface Row {
  id: string;
  rcpt: string;
  status: string;
}
const h = columnHelper<Row>();
const columns = h.columns([
  h.accessor('rcpt', { header: 'Recipient' }),
  h.accessor('status', { header: 'Status', cell: (c) => <strong>{c.getValue()}</strong> }),
]);
const rows: Row[] = [
  { id: 'a', rcpt: 'bob@example.net', status: 'delivered' },
  { id: 'b', rcpt: 'carol@example.org', status: 'queued' },
];

describe('DataTable', () => {
  it('renders headers and one row per item, with custom cells, under its accessible name', () => {
    render(<DataTable label="Transactions" columns={columns} data={rows} getRowId={(r) => r.id} />);
    const table = screen.getByRole('table', { name: 'Transactions' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((c) => c.textContent),
    ).toEqual(['Recipient', 'Status']);
    const bodyRows = within(table).getAllByRole('row').slice(1);
    expect(bodyRows).toHaveLength(2);
    expect(within(bodyRows[1]!).getByText('carol@example.org')).toBeTruthy();
    expect(within(bodyRows[0]!).getByText('delivered').tagName).toBe('STRONG');
  });

  it('shows skeletons while loading and the empty state when there is nothing', () => {
    const { rerender } = render(
      <DataTable label="T" columns={columns} data={undefined} loading getRowId={(r) => r.id} />,
    );
    expect(screen.getByRole('table').getAttribute('aria-busy')).toBe('true');
    expect(screen.queryByText('No matches')).toBeNull();
    rerender(
      <DataTable
        label="T"
        columns={columns}
        data={[]}
        getRowId={(r) => r.id}
        empty={<p>No matches</p>}
      />,
    );
    expect(screen.getByText('No matches')).toBeTruthy();
  });

  it('shows an error in words', () => {
    render(
      <DataTable
        label="T"
        columns={columns}
        data={[]}
        error="database unreachable"
        getRowId={(r) => r.id}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('database unreachable');
  });

  it('pages with Newer/Older, disabled where there is no page', async () => {
    const onNext = vi.fn();
    render(
      <DataTable label="T" columns={columns} data={rows} getRowId={(r) => r.id} onNext={onNext} />,
    );
    const older = screen.getByRole('button', { name: 'Older' });
    const newer = screen.getByRole('button', { name: 'Newer' }) as HTMLButtonElement;
    expect(newer.disabled).toBe(true);
    await userEvent.click(older);
    expect(onNext).toHaveBeenCalledOnce();
  });

  it('follows new data (a new page replaces the rows)', () => {
    const { rerender } = render(
      <DataTable label="T" columns={columns} data={rows} getRowId={(r) => r.id} />,
    );
    rerender(
      <DataTable
        label="T"
        columns={columns}
        data={[{ id: 'c', rcpt: 'dan@example.com', status: 'failed' }]}
        getRowId={(r) => r.id}
      />,
    );
    expect(screen.getAllByRole('row')).toHaveLength(2);
    expect(screen.getByText('dan@example.com')).toBeTruthy();
  });
});

'use client';
import {
  type ColumnDef,
  createColumnHelper,
  type RowData,
  tableFeatures,
  useTable,
} from '@tanstack/react-table';
import type { ReactNode } from 'react';
import { cn } from './cn.ts';
import { EmptyState, ErrorPanel, Skeleton } from './feedback.tsx';

/** The table features the console's tables use: core only (the server sorts and pages). */
const dataTableFeatures = tableFeatures({});
export type DataTableFeatures = typeof dataTableFeatures;
// biome-ignore lint/suspicious/noExplicitAny: columns of different value types in one list
export type DataTableColumn<T extends RowData> = ColumnDef<DataTableFeatures, T, any>;
export const columnHelper = <T extends RowData>() => createColumnHelper<DataTableFeatures, T>();

export interface DataTableProps<T extends RowData> {
  /** Accessible name of the table. */
  label: string;
  columns: DataTableColumn<T>[];
  data: T[] | undefined;
  getRowId: (row: T) => string;
  loading?: boolean;
  error?: string | null;
  empty?: ReactNode;
  /** Keyset pagination: "Newer"/"Older" buttons, shown when a handler is given. */
  onPrevious?: (() => void) | undefined;
  onNext?: (() => void) | undefined;
  footer?: ReactNode;
  /** Marks one row (e.g. the one the operator came from). */
  selectedId?: string;
  className?: string;
}

const noRows: never[] = [];

type Pages = Pick<DataTableProps<RowData>, 'onPrevious' | 'onNext'>;

/** Keyset pagination's "Newer" and "Older", each disabled without its handler. */
export function PageButtons({ onPrevious, onNext }: Pages) {
  const pages = [
    ['Newer', onPrevious],
    ['Older', onNext],
  ] as const;
  return pages.map(([text, onClick]) => (
    <button
      key={text}
      type="button"
      className="h-8 rounded-md border border-border bg-surface px-2.5 text-sm disabled:opacity-50"
      onClick={onClick}
      disabled={!onClick}
    >
      {text}
    </button>
  ));
}

/** A server-paginated table on @tanstack/react-table v9, with loading, empty and error states. */
export function DataTable<T extends RowData>({
  label,
  columns,
  data,
  getRowId,
  loading,
  error,
  empty,
  onPrevious,
  onNext,
  footer,
  selectedId,
  className,
}: DataTableProps<T>) {
  const table = useTable({
    features: dataTableFeatures,
    columns,
    data: data ?? (noRows as T[]),
    getRowId: (row) => getRowId(row),
  });
  const rows = table.getRowModel().rows;
  return (
    <div className={cn('min-w-0', className)}>
      {error ? <ErrorPanel title="Could not load" message={error} /> : null}
      <div className="overflow-x-auto rounded-lg border border-border bg-surface">
        <table aria-label={label} aria-busy={loading || undefined} className="w-full text-sm">
          <thead className="bg-surface-2 text-left text-xs text-muted">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => (
                  <th
                    key={header.id}
                    scope="col"
                    className="px-3 py-2 font-medium whitespace-nowrap"
                  >
                    {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {loading && !data
              ? Array.from({ length: 5 }, (_, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
                  <tr key={i} className="border-t border-border">
                    <td colSpan={columns.length} className="px-3 py-2">
                      <Skeleton className="h-5 w-full" />
                    </td>
                  </tr>
                ))
              : rows.map((row) => (
                  <tr
                    key={row.id}
                    aria-selected={selectedId === row.id || undefined}
                    className="border-t border-border align-top hover:bg-surface-2 aria-selected:bg-accent/10"
                  >
                    {row.getAllCells().map((cell) => (
                      <td key={cell.id} className="px-3 py-2">
                        <table.FlexRender cell={cell} />
                      </td>
                    ))}
                  </tr>
                ))}
          </tbody>
        </table>
        {!loading && data && data.length === 0 && !error ? (
          <div className="p-4">{empty ?? <EmptyState title="Nothing here" />}</div>
        ) : null}
      </div>
      {(onPrevious || onNext || footer) && (
        <nav aria-label={`${label} pages`} className="mt-2 flex items-center justify-between gap-2">
          <div className="text-xs text-muted">{footer}</div>
          <div className="flex gap-2">
            <PageButtons onPrevious={onPrevious} onNext={onNext} />
          </div>
        </nav>
      )}
    </div>
  );
}

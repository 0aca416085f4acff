'use client';
import type { schema } from '@koukan/db';
import {
  Badge,
  EmptyState,
  ErrorPanel,
  formatTimestamp,
  LoadingBlock,
  PageButtons,
  SideBySideDiff,
} from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useQueryStates } from 'nuqs';
import { keepingPage, useCursorPages } from '../../../components/use-cursor-pages.ts';
import { errorMessage, who } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { auditSearchParams, toAuditInput } from './search-params.ts';

type Entry = schema.AuditEntry;

const json = (v: unknown) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2));

/** A chain's side of a change: its filter list, with the revision it was. */
function chainSide(v: unknown): { version?: number; filters: unknown } | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as { version?: number; filters?: unknown };
  return 'filters' in o
    ? { ...(o.version !== undefined && { version: o.version }), filters: o.filters }
    : null;
}

/** Before/after as a side-by-side diff (a chain's filter lists by revision), then the rest. */
function EntryDetails({ entry }: { entry: Entry }) {
  const { before, after, ...rest } = entry.details as Record<string, unknown>;
  const hasChange = before !== undefined || after !== undefined;
  const cb = chainSide(before);
  const ca = chainSide(after);
  const isChain = entry.entityType === 'chain' && (cb || ca);
  return (
    <div className="mt-2 space-y-3">
      {hasChange && (
        <SideBySideDiff
          label={
            isChain
              ? `Filters of chain ${String(rest.name ?? entry.entityId ?? '')}, before and after`
              : `${entry.action}: before and after`
          }
          before={json(isChain ? cb?.filters : before)}
          after={json(isChain ? ca?.filters : after)}
          beforeLabel={isChain && cb?.version !== undefined ? `Revision ${cb.version}` : 'Before'}
          afterLabel={isChain && ca?.version !== undefined ? `Revision ${ca.version}` : 'After'}
        />
      )}
      {Object.keys(rest).length > 0 && (
        <pre className="max-h-64 overflow-auto rounded-md bg-surface-2 p-2 font-mono text-xs whitespace-pre-wrap">
          {json(rest)}
        </pre>
      )}
    </div>
  );
}

/** Newest first; each entry opens to show what changed. */
export function AuditEntries() {
  const trpc = useTRPC();
  const [s, set] = useQueryStates(auditSearchParams, { shallow: true, history: 'push' });
  const query = useQuery(keepingPage(trpc.audit.list.queryOptions(toAuditInput(s))));
  const pages = useCursorPages(s.cursor, query.data?.next, (cursor) => void set({ cursor }));
  const filtered = Boolean(s.user || s.entity || s.action || s.from || s.to);
  return (
    <section aria-labelledby="audit-entries">
      <h2 id="audit-entries" className="sr-only">
        Entries
      </h2>
      {query.isPending ? (
        <LoadingBlock label="Loading the audit log" />
      ) : query.error ? (
        <ErrorPanel title="Could not load" message={errorMessage(query.error)} />
      ) : query.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No entry matches these filters' : 'Nothing recorded yet'}>
          {filtered ? 'Widen the filters, or clear them.' : null}
        </EmptyState>
      ) : (
        <ol
          aria-label="Audit entries"
          aria-busy={query.isFetching || undefined}
          className="space-y-2"
        >
          {query.data.items.map((e) => {
            const name = (e.details as { name?: unknown }).name;
            return (
              <li key={e.id} className="rounded-lg border border-border bg-surface px-3 py-2">
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
                  <time
                    dateTime={new Date(e.at).toISOString()}
                    className="font-mono text-xs text-muted"
                  >
                    {formatTimestamp(e.at)}
                  </time>
                  <span className="font-medium">{who(e.actor)}</span>
                  <Badge
                    tone={
                      e.action.includes('delete') ||
                      e.action.includes('cancel') ||
                      e.action.includes('revoke')
                        ? 'danger'
                        : 'info'
                    }
                  >
                    {e.action}
                  </Badge>
                  <span className="text-muted">
                    {e.entityType}
                    {typeof name === 'string' ? ` ${name}` : e.entityId ? ` ${e.entityId}` : ''}
                  </span>
                </div>
                <details className="mt-1">
                  <summary className="cursor-pointer text-xs text-accent">
                    Details of entry {e.id}
                  </summary>
                  <EntryDetails entry={e} />
                </details>
              </li>
            );
          })}
        </ol>
      )}
      {query.data && (s.cursor || query.data.next) && (
        <nav aria-label="Audit log pages" className="mt-3 flex justify-end gap-2">
          <PageButtons {...pages} />
        </nav>
      )}
    </section>
  );
}

'use client';
import { filterMeta } from '@koukan/chain/catalogue';
import { filterNames } from '@koukan/chain/schemas';
import { Button, ErrorPanel, emptyValue, LoadingBlock, SelectField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import type { FieldIssue } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { DryRunPanel } from './dry-run-panel.tsx';
import {
  chainErrors,
  type Entry,
  entryFormSchema,
  isTerminal,
  serverErrors,
} from './entry-errors.ts';
import { FilterCard } from './filter-card.tsx';
import { SaveForm } from './save-form.tsx';

type Item = { key: number; entry: Entry };
let nextKey = 1;
const keyed = (filters: Entry[]): Item[] => filters.map((entry) => ({ key: nextKey++, entry }));

/** Loads the chain (or starts a new one), then edits it. */
export function ChainEditor({ name, isNew }: { name: string; isNew: boolean }) {
  const trpc = useTRPC();
  const chain = useQuery({ ...trpc.chains.get.queryOptions({ name }), enabled: !isNew });
  const me = useQuery(trpc.me.get.queryOptions());
  const secrets = useQuery(trpc.chains.secretNames.queryOptions());
  const router = useRouter();
  const [notice, setNotice] = useState<string | null>(null);
  if (!isNew && chain.isPending) return <LoadingBlock label="Loading the chain" />;
  if (!isNew && chain.error)
    return <ErrorPanel title="Could not load the chain" message={errorMessage(chain.error)} />;
  const loaded = isNew
    ? { filters: [] as Entry[], version: 0 }
    : { filters: chain.data!.filters as Entry[], version: chain.data!.version };
  return (
    <Editor
      // A new revision loaded (after a save or restore elsewhere) starts a fresh edit.
      key={loaded.version}
      name={name}
      initial={loaded.filters}
      version={loaded.version}
      admin={me.data?.role === 'admin'}
      secretNames={secrets.data ?? []}
      notice={notice}
      onSaved={(n) => {
        setNotice(n);
        if (isNew) router.replace(`/chains/${encodeURIComponent(name)}`);
      }}
    />
  );
}

function Editor({
  name,
  initial,
  version,
  admin,
  secretNames,
  notice,
  onSaved,
}: {
  name: string;
  initial: Entry[];
  version: number;
  admin: boolean;
  secretNames: string[];
  notice: string | null;
  onSaved: (notice: string) => void;
}) {
  const [items, setItems] = useState<Item[]>(() => keyed(initial));
  const [toAdd, setToAdd] = useState<string>(filterNames[0]!);
  const [focus, setFocus] = useState<{ key: number; dir: 'up' | 'down' } | null>(null);
  const [announce, setAnnounce] = useState('');
  const [saveFields, setSaveFields] = useState<FieldIssue[] | undefined>();
  const entries = useMemo(() => items.map((i) => i.entry), [items]);
  const errors = useMemo(() => chainErrors(entries), [entries]);
  const fromServer = useMemo(
    () => serverErrors(saveFields, entries.length),
    [saveFields, entries.length],
  );
  const errorCount = errors.reduce((n, e) => n + Object.keys(e).length, 0);
  const dirty = JSON.stringify(entries) !== JSON.stringify(initial);

  const edit = (next: Item[]) => {
    setItems(next);
    setFocus(null);
    setSaveFields(undefined);
  };
  const move = (index: number, dir: 'up' | 'down') => {
    const to = dir === 'up' ? index - 1 : index + 1;
    if (to < 0 || to >= items.length) return;
    const next = [...items];
    [next[index], next[to]] = [next[to]!, next[index]!];
    edit(next);
    setFocus({ key: items[index]!.key, dir });
    setAnnounce(`${items[index]!.entry.filter} moved to position ${to + 1} of ${items.length}`);
  };
  const add = () => {
    const name = toAdd as (typeof filterNames)[number];
    const entry = { ...(emptyValue(entryFormSchema(name)) as object), filter: name } as Entry;
    // Before the terminal output, where a new filter almost always belongs.
    const last = items.at(-1);
    const at =
      last && isTerminal(last.entry.filter) && !isTerminal(name) ? items.length - 1 : items.length;
    edit([...items.slice(0, at), { key: nextKey++, entry }, ...items.slice(at)]);
    setAnnounce(`${name} added at position ${at + 1}`);
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <section aria-labelledby="filters-heading" className="flex min-w-0 flex-col gap-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="filters-heading" className="text-lg font-semibold">
            Filters
          </h2>
          <Link
            href={`/chains/${encodeURIComponent(name)}/revisions`}
            className="text-sm text-accent hover:underline"
          >
            Revision history (revision {version})
          </Link>
        </div>
        {!admin && (
          <p className="text-sm text-muted">Read only: admins edit chains. You can dry-run it.</p>
        )}
        <p aria-live="polite" className="sr-only">
          {announce}
        </p>
        {items.length === 0 ? (
          <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted">
            No filters yet{admin ? ': add the first one below.' : '.'}
          </p>
        ) : (
          <ol className="flex flex-col gap-3" aria-label="Filters in order">
            {items.map((item, i) => (
              <FilterCard
                key={item.key}
                index={i}
                count={items.length}
                entry={item.entry}
                errors={{ ...errors[i], ...fromServer[i] }}
                secretNames={secretNames}
                readOnly={!admin}
                {...(focus?.key === item.key && { focus: focus.dir })}
                onChange={(entry) =>
                  edit(items.map((x) => (x.key === item.key ? { ...x, entry } : x)))
                }
                onMove={(dir) => move(i, dir)}
                onRemove={() => {
                  edit(items.filter((x) => x.key !== item.key));
                  setAnnounce(`${item.entry.filter} removed`);
                }}
              />
            ))}
          </ol>
        )}
        {admin && (
          <div className="flex flex-wrap items-end gap-2 rounded-lg border border-border bg-surface p-3">
            <SelectField
              label="Filter to add"
              options={filterNames.map((n) => ({ value: n, label: n }))}
              value={toAdd}
              aria-describedby="filter-to-add-hint"
              onChange={(e) => setToAdd(e.target.value)}
            />
            <Button onClick={add}>Add filter</Button>
            <p id="filter-to-add-hint" className="w-full text-xs text-muted">
              {filterMeta[toAdd as (typeof filterNames)[number]]?.description}
            </p>
          </div>
        )}
        {admin && (
          <SaveForm
            name={name}
            filters={entries}
            version={version}
            dirty={dirty}
            errorCount={errorCount}
            onFieldErrors={setSaveFields}
            notice={notice}
            onSaved={onSaved}
          />
        )}
      </section>
      <DryRunPanel filters={entries} chainName={name} valid={errorCount === 0} />
    </div>
  );
}

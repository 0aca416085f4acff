import type { FieldChange, ImportPreview } from '@koukan/services';
import { Badge } from '@koukan/ui';
import type { ReactNode } from 'react';

const tone = { create: 'ok', update: 'warn', unchanged: 'neutral' } as const;
const word = { create: 'added', update: 'changed', unchanged: 'unchanged' } as const;

function show(v: unknown): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Changes({ fields }: { fields: FieldChange[] }) {
  if (fields.length === 0) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-xs">
      {fields.map((f) => (
        <li key={f.path} className="break-all">
          <code className="font-mono">{f.path || '(value)'}</code>:{' '}
          {'before' in f ? <del className="text-danger">{show(f.before)}</del> : null}
          {'before' in f && 'after' in f ? ' → ' : null}
          {'after' in f ? <ins className="text-ok no-underline">{show(f.after)}</ins> : null}
        </li>
      ))}
    </ul>
  );
}

/** One kind of entity in the file: each with its change, detailed by `detail` (else its fields). */
function Entity<T extends { name: string; change: keyof typeof tone; fields?: FieldChange[] }>({
  kind,
  items,
  detail = (i) => <Changes fields={i.fields ?? []} />,
}: {
  kind: string;
  items: T[];
  detail?: (item: T) => ReactNode;
}) {
  const counts = (c: keyof typeof tone) => items.filter((i) => i.change === c).length;
  return (
    <section aria-label={kind} className="rounded-md border border-border p-3">
      <h3 className="text-sm font-semibold">
        {kind}: {counts('create')} added, {counts('update')} changed, {counts('unchanged')}{' '}
        unchanged
      </h3>
      {items.length ? (
        <ul className="mt-2 space-y-2">
          {items.map((i) => (
            <li key={i.name} className="text-sm">
              <span className="font-medium">{i.name}</span>{' '}
              <Badge tone={tone[i.change]}>{word[i.change]}</Badge>
              {detail(i)}
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-1 text-sm text-muted">None in the file.</p>
      )}
    </section>
  );
}

/** What an import would change, per entity; nothing is removed by an import. */
export function ImportPreviewView({ preview }: { preview: ImportPreview }) {
  const kept = preview.not_in_file;
  return (
    <div className="space-y-3">
      {preview.problems.length ? (
        <div role="alert" className="rounded-md border border-danger/40 bg-danger/5 p-3 text-sm">
          <p className="font-medium text-danger">The import would be refused:</p>
          <ul className="mt-1">
            {preview.problems.map((p) => (
              <li key={p.field}>
                <code className="font-mono">{p.field}</code>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <Entity kind="Senders" items={preview.senders} />
      <Entity
        kind="Chains"
        items={preview.chains}
        detail={(c) => (
          <>
            {c.version ? (
              <span className="ml-1 text-xs text-muted">
                revision {c.version.from} → {c.version.to}
              </span>
            ) : null}
            {c.change !== 'unchanged' ? (
              <ul className="mt-1 space-y-0.5 text-xs">
                {c.description ? (
                  <li>
                    <Changes fields={[c.description]} />
                  </li>
                ) : null}
                {c.rows
                  .filter((r) => r.kind !== 'same')
                  .map((r) => (
                    <li
                      key={`${r.kind}:${'left' in r ? r.left : ''}:${'right' in r ? r.right : ''}`}
                    >
                      {r.kind === 'added'
                        ? `filter ${r.right + 1} added: ${r.after.filter}`
                        : r.kind === 'removed'
                          ? `filter ${r.left + 1} removed: ${r.before.filter}`
                          : r.kind === 'changed'
                            ? `filter ${r.right + 1} (${r.after.filter}) changed`
                            : null}
                      {r.kind === 'changed' ? <Changes fields={r.fields} /> : null}
                    </li>
                  ))}
              </ul>
            ) : null}
          </>
        )}
      />
      <Entity kind="Domains" items={preview.domains} />
      <section aria-label="Not in the file" className="rounded-md border border-border p-3 text-sm">
        <h3 className="text-sm font-semibold">Not in the file (kept: an import never removes)</h3>
        <p className="mt-1 text-muted">
          Senders: {kept.senders.join(', ') || 'none'}. Chains: {kept.chains.join(', ') || 'none'}.
          Domains: {kept.domains.join(', ') || 'none'}.
        </p>
      </section>
    </div>
  );
}

'use client';
import type { ChainRevisionView } from '@koukan/services';
import {
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  ErrorPanel,
  formatTimestamp,
  LoadingBlock,
  SelectField,
  SideBySideDiff,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { parseAsInteger, useQueryStates } from 'nuqs';
import { useState } from 'react';
import { errorMessage, who } from '../../../../../lib/errors.ts';
import { useTRPC } from '../../../../../trpc/react.tsx';
import { DiffSummary } from './diff-summary.tsx';

/** Who saved each revision, when and why; a diff between any two; restore (admins). */
export function RevisionHistory({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revisions = useQuery(trpc.chains.revisions.queryOptions({ name }));
  const me = useQuery(trpc.me.get.queryOptions());
  const [pair, setPair] = useQueryStates({ from: parseAsInteger, to: parseAsInteger });
  const [restoring, setRestoring] = useState<ChainRevisionView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const restore = useMutation(
    trpc.chains.restore.mutationOptions({
      onSuccess: async (r) => {
        setRestoring(null);
        setNotice(`Restored as revision ${r.chain.version}.`);
        void setPair({ from: null, to: null });
        await Promise.all([
          queryClient.invalidateQueries(trpc.chains.revisions.queryFilter({ name })),
          queryClient.invalidateQueries(trpc.chains.get.queryFilter({ name })),
          queryClient.invalidateQueries(trpc.chains.list.queryFilter()),
        ]);
      },
    }),
  );
  if (revisions.isPending) return <LoadingBlock label="Loading revisions" />;
  if (revisions.error)
    return <ErrorPanel title="Could not load revisions" message={errorMessage(revisions.error)} />;
  const list = revisions.data;
  if (list.length === 0) return <EmptyState title="No revisions yet" />;
  const latest = list[0]!;
  const to = list.find((r) => r.version === pair.to) ?? latest;
  const from =
    list.find((r) => r.version === pair.from) ?? list.find((r) => r.version < to.version) ?? to;
  const admin = me.data?.role === 'admin';
  const versions = list.map((r) => ({ value: String(r.version), label: String(r.version) }));

  return (
    <div className="flex flex-col gap-6">
      {notice && (
        <p role="status" className="text-sm">
          {notice}
        </p>
      )}
      {restore.error && <ErrorPanel title="Not restored" message={errorMessage(restore.error)} />}
      <div className="overflow-x-auto rounded-lg border border-border bg-surface">
        <table aria-label="Revisions" className="w-full text-sm">
          <thead>
            <tr className="border-b border-border bg-surface-2 text-left text-xs text-muted">
              <th scope="col" className="px-3 py-2">
                Revision
              </th>
              <th scope="col" className="px-3 py-2">
                Saved by
              </th>
              <th scope="col" className="px-3 py-2">
                When (UTC)
              </th>
              <th scope="col" className="px-3 py-2">
                Comment
              </th>
              <th scope="col" className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.version} className="border-b border-border last:border-0">
                <th scope="row" className="px-3 py-2 text-left font-mono">
                  {r.version}
                  {r.version === latest.version && (
                    <span className="ml-2 text-xs text-muted">(current)</span>
                  )}
                </th>
                <td className="px-3 py-2 break-all">{who(r.author)}</td>
                <td className="px-3 py-2 font-mono text-xs whitespace-nowrap">
                  {formatTimestamp(r.created_at)}
                </td>
                <td className="px-3 py-2">{r.comment || <span className="text-muted">—</span>}</td>
                <td className="px-3 py-2 text-right whitespace-nowrap">
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Compare revision ${r.version} with the current one`}
                    disabled={r.version === latest.version}
                    onClick={() => void setPair({ from: r.version, to: latest.version })}
                  >
                    Compare
                  </Button>
                  {admin && r.version !== latest.version && (
                    <Button
                      size="sm"
                      aria-label={`Restore revision ${r.version}`}
                      onClick={() => {
                        setNotice(null);
                        setRestoring(r);
                      }}
                    >
                      Restore
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Card title="Compare two revisions">
        <div className="mb-3 flex flex-wrap gap-3">
          <SelectField
            label="From revision"
            options={versions}
            value={from.version}
            onChange={(e) => void setPair({ from: Number(e.target.value), to: to.version })}
          />
          <SelectField
            label="To revision"
            options={versions}
            value={to.version}
            onChange={(e) => void setPair({ from: from.version, to: Number(e.target.value) })}
          />
        </div>
        <DiffSummary name={name} from={from.version} to={to.version} />
        <SideBySideDiff
          className="mt-3"
          caption={`Revision ${from.version} → ${to.version}`}
          before={from.filters}
          after={to.filters}
          beforeLabel={`Revision ${from.version}`}
          afterLabel={`Revision ${to.version}`}
        />
      </Card>

      <ConfirmDialog
        open={restoring !== null}
        onOpenChange={(open) => !open && setRestoring(null)}
        title={`Restore revision ${restoring?.version}?`}
        description={`Its filters are saved as a new revision (${latest.version + 1}); running routers pick it up within seconds. History is kept, and the restore is audited.`}
        confirmLabel="Restore"
        busy={restore.isPending}
        onConfirm={() =>
          restoring &&
          restore.mutate({ name, version: restoring.version, expected_version: latest.version })
        }
      />
    </div>
  );
}

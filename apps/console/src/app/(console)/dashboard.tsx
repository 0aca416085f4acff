'use client';
import type { DashboardRange } from '@koukan/services';
import {
  Badge,
  Card,
  cn,
  EmptyState,
  ErrorPanel,
  formatDuration,
  formatTimestamp,
  LoadingBlock,
  OutcomeChart,
} from '@koukan/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useQueryState } from 'nuqs';
import { errorMessage } from '../../lib/errors.ts';
import { useTRPC } from '../../trpc/react.tsx';
import { rangeParam } from './dashboard-params.ts';

const ranges: { value: DashboardRange; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

function Stat({ label, value, hint }: { label: string; value: string | number; hint?: string }) {
  return (
    <div className="rounded-lg border border-border bg-surface p-3">
      <dt className="text-xs text-muted">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
      {hint && <dd className="text-xs text-muted">{hint}</dd>}
    </div>
  );
}

export function Dashboard() {
  const trpc = useTRPC();
  const [range, setRange] = useQueryState('range', rangeParam.withOptions({ shallow: true }));
  const q = useQuery({
    ...trpc.dashboard.get.queryOptions({ range }),
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-xl font-semibold">Dashboard</h1>
        <fieldset className="flex rounded-md border border-border bg-surface p-0.5">
          <legend className="sr-only">Time range</legend>
          {ranges.map((r) => (
            <button
              key={r.value}
              type="button"
              aria-pressed={range === r.value}
              onClick={() => void setRange(r.value)}
              className={cn(
                'rounded px-2.5 py-1 text-sm text-muted hover:text-fg',
                range === r.value && 'bg-surface-2 font-medium text-fg',
              )}
            >
              {r.label}
            </button>
          ))}
        </fieldset>
      </div>
      {q.isPending ? (
        <LoadingBlock label="Loading dashboard" lines={8} />
      ) : q.error ? (
        <ErrorPanel title="The dashboard cannot be loaded" message={errorMessage(q.error)} />
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat
              label="Waiting in queue"
              value={q.data.queue.queued}
              hint={`${q.data.queue.due_now} due now`}
            />
            <Stat label="In flight" value={q.data.queue.inflight} />
            <Stat label="Held" value={q.data.queue.held} />
            <Stat
              label="Oldest waiting"
              value={formatDuration(
                q.data.queue.oldest_waiting_age_seconds === null
                  ? null
                  : q.data.queue.oldest_waiting_age_seconds * 1000,
              )}
              hint={
                q.data.queue.oldest_waiting_created_at
                  ? formatTimestamp(q.data.queue.oldest_waiting_created_at)
                  : 'nothing waiting'
              }
            />
          </dl>
          <Card
            title="Messages by outcome"
            actions={
              <span className="text-xs text-muted">
                {q.data.series.rolled_up_to
                  ? `rolled up to ${formatTimestamp(q.data.series.rolled_up_to)}`
                  : 'no rollup yet'}
              </span>
            }
          >
            <OutcomeChart
              points={q.data.series.points}
              bucketSeconds={q.data.series.bucket_seconds}
            />
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card title="Top deferral domains">
              {q.data.top_deferral_domains.length === 0 ? (
                <EmptyState title="No deferrals in this range" />
              ) : (
                <table aria-label="Top deferral domains" className="w-full text-sm">
                  <thead className="text-left text-xs text-muted">
                    <tr>
                      <th scope="col" className="py-1 pr-2 font-medium">
                        Domain
                      </th>
                      <th scope="col" className="py-1 pr-2 font-medium">
                        Deferrals
                      </th>
                      <th scope="col" className="py-1 font-medium">
                        Most common replies
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {q.data.top_deferral_domains.map((d) => (
                      <tr key={d.domain} className="border-t border-border align-top">
                        <td className="py-1.5 pr-2">
                          <Link
                            href={`/transactions?domain=${encodeURIComponent(d.domain)}&status=queued`}
                            className="text-accent underline-offset-2 hover:underline"
                          >
                            {d.domain}
                          </Link>
                        </td>
                        <td className="py-1.5 pr-2 tabular-nums">{d.deferrals}</td>
                        <td className="py-1.5">
                          <ul className="space-y-0.5">
                            {d.top_replies.map((r) => (
                              <li
                                key={`${r.code} ${r.text}`}
                                className="font-mono text-xs break-all"
                              >
                                {r.code} {r.enhanced ? `${r.enhanced} ` : ''}
                                {r.text} <span className="text-muted">×{r.count}</span>
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Replicas">
              {q.data.instances.length === 0 ? (
                <EmptyState title="No replica has reported">
                  A router registers itself when it starts.
                </EmptyState>
              ) : (
                <ul className="space-y-2 text-sm">
                  {q.data.instances.map((i) => (
                    <li key={i.id} className="flex flex-wrap items-center gap-2">
                      <Badge tone={i.stale ? 'danger' : i.stopping ? 'warn' : 'ok'}>
                        {i.stale ? 'stale' : i.stopping ? 'stopping' : 'alive'}
                      </Badge>
                      <span className="font-medium">{i.kind}</span>
                      <span className="font-mono text-xs">
                        {i.hostname} pid {i.pid}
                      </span>
                      <span className="text-xs text-muted">
                        heartbeat {formatDuration(i.heartbeat_age_seconds * 1000)} ago · up since{' '}
                        {formatTimestamp(i.started_at)} · v{i.version}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          </div>
        </>
      )}
    </div>
  );
}

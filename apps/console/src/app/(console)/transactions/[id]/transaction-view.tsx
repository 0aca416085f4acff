'use client';
import { isFinalStatus } from '@koukan/db/state';
import type { LinkedTransaction, TransactionDetail } from '@koukan/services';
import { Card, ErrorPanel, formatTimestamp, LoadingBlock, StatusBadge, Timeline } from '@koukan/ui';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { TransactionActions } from './actions.tsx';
import { MessagePanel } from './message-panel.tsx';
import { timelineItems } from './timeline-items.ts';

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="contents">
      <dt className="text-muted">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

function Linked({ t }: { t: LinkedTransaction }) {
  return (
    <li className="flex flex-wrap items-center gap-2 text-sm">
      <StatusBadge status={t.status} />
      <Link
        href={`/transactions/${t.id}`}
        className="break-all text-accent underline-offset-2 hover:underline"
      >
        {t.recipients.join(', ') || t.id}
      </Link>
      {t.final_attempt_reason && (
        <span className="text-xs text-muted">{t.final_attempt_reason}</span>
      )}
    </li>
  );
}

function Links({ d }: { d: TransactionDetail }) {
  const groups: [string, LinkedTransaction[]][] = [
    ['Fanned out of', d.parent ? [d.parent] : []],
    [`Per-recipient children (${d.children_total})`, d.children],
    ['Delivery status notifications', d.dsns],
    ['Reports on', d.dsn_of ? [d.dsn_of] : []],
  ];
  const shown = groups.filter(([, l]) => l.length > 0);
  if (shown.length === 0) return null;
  return (
    <Card title="Related transactions">
      {shown.map(([title, list]) => (
        <div key={title} className="mb-2 last:mb-0">
          <h3 className="mb-1 text-xs font-medium text-muted">{title}</h3>
          <ul className="space-y-1">
            {list.map((t) => (
              <Linked key={t.id} t={t} />
            ))}
          </ul>
        </div>
      ))}
    </Card>
  );
}

/** One transaction: what it is, what happened to it (live while in flight), and the message. */
export function TransactionView({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery(trpc.transactions.detail.queryOptions({ id }));
  const live = detail.data ? !isFinalStatus(detail.data.transaction.status) : false;
  const sub = useSubscription(
    trpc.transactions.watch.subscriptionOptions(
      { id },
      {
        enabled: live,
        onData: (stamp) => {
          const current = queryClient.getQueryData(trpc.transactions.detail.queryKey({ id }));
          if (
            current?.transaction.version !== stamp.version ||
            current.events.at(-1)?.id !== stamp.last_event_id
          ) {
            void queryClient.invalidateQueries(trpc.transactions.detail.queryFilter({ id }));
          }
        },
      },
    ),
  );
  // Polling fallback when the live stream is down.
  useQuery({
    ...trpc.transactions.detail.queryOptions({ id }),
    refetchInterval: live && sub.status === 'error' ? 3000 : false,
  });

  if (detail.isPending) return <LoadingBlock label="Loading transaction" lines={8} />;
  if (detail.error)
    return <ErrorPanel title="Cannot show this transaction" message={errorMessage(detail.error)} />;
  const d = detail.data;
  const t = d.transaction;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="text-xs text-muted">
            <Link href="/transactions" className="underline-offset-2 hover:underline">
              Transactions
            </Link>{' '}
            / <span className="font-mono">{t.id}</span>
          </p>
          <h1 className="mt-1 text-xl font-semibold break-all">{t.recipients.join(', ')}</h1>
          <div className="mt-1 flex flex-wrap items-center gap-2 text-sm">
            <StatusBadge status={t.status} />
            {t.final_attempt_reason && (
              <span className="text-muted">final reason: {t.final_attempt_reason}</span>
            )}
            {t.cancel_requested_at && <span className="text-warn">cancel requested</span>}
            <span role="status" aria-live="polite" className="text-xs text-muted">
              {live
                ? sub.status === 'pending'
                  ? 'live'
                  : sub.status === 'error'
                    ? 'live updates by polling'
                    : 'connecting…'
                : ''}
            </span>
          </div>
        </div>
        <TransactionActions detail={d} />
      </div>

      <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <div className="space-y-4">
          <Card title="Envelope">
            <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-1 text-sm">
              <Fact label="Sender">{d.sender.name}</Fact>
              <Fact label="MAIL FROM">
                <span className="font-mono">{t.mail_from || '<>'}</span>
              </Fact>
              <Fact label="RCPT TO">
                <ul>
                  {t.rcpt_to.map((r, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: envelope order
                    <li key={i} className="font-mono break-all">
                      {r.m}
                    </li>
                  ))}
                </ul>
              </Fact>
              <Fact label="Subject">{t.subject ?? '—'}</Fact>
              <Fact label="Message-ID">
                <span className="font-mono break-all">{t.message_id ?? '—'}</span>
              </Fact>
              <Fact label="Created">{formatTimestamp(t.created_at)}</Fact>
              <Fact label="Next attempt">{formatTimestamp(t.next_attempt_at)}</Fact>
              <Fact label="Finished">{formatTimestamp(t.finished_at)}</Fact>
              <Fact label="Attempts">{t.attempt_count}</Fact>
              <Fact label="Body">
                {t.body.kind}
                {t.body.size !== null ? `, ${t.body.size} bytes` : ''}
                {t.body.status ? `, ${t.body.status}` : ''}
              </Fact>
            </dl>
          </Card>
          <Card title="Chain">
            <p className="text-sm">
              {d.chain.name ? (
                <Link
                  href={`/chains/${encodeURIComponent(d.chain.name)}`}
                  className="text-accent underline underline-offset-2"
                >
                  {d.chain.name}
                </Link>
              ) : (
                'none'
              )}
              {d.chain.version !== null && d.chain.name && (
                <>
                  {' · '}
                  <Link
                    href={`/chains/${encodeURIComponent(d.chain.name)}/revisions?to=${d.chain.version}`}
                    className="text-muted underline underline-offset-2"
                  >
                    revision {d.chain.version}
                  </Link>
                </>
              )}
              <span className="text-xs text-muted">
                {' '}
                (
                {d.chain.revision_source === 'recorded'
                  ? 'the revision that ran'
                  : d.chain.revision_source === 'current'
                    ? 'current revision; the one that ran was not recorded'
                    : 'missing'}
                )
              </span>
            </p>
            <ol className="mt-2 list-decimal pl-5 text-sm">
              {d.chain.filters.map((f, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: chain order
                <li key={i} className="font-mono text-xs">
                  {(f as { filter?: string }).filter ?? JSON.stringify(f)}
                </li>
              ))}
            </ol>
          </Card>
          <Links d={d} />
        </div>
        <Card title="Delivery timeline">
          <Timeline label="Delivery timeline" items={timelineItems(d)} />
        </Card>
      </div>
      <MessagePanel id={id} hasBody={t.body.kind !== 'none' && t.body.status === 'finalized'} />
    </div>
  );
}

'use client';
import type { DnsRecord, DomainView, RecordCheck } from '@koukan/services';
import {
  Badge,
  Button,
  Card,
  ConfirmDialog,
  columnHelper,
  DataTable,
  ErrorPanel,
  formatTimestamp,
  LoadingBlock,
  type Tone,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { CopyButton } from '../copy-button.tsx';
import { RotateDialog } from './rotate-dialog.tsx';

const purposeLabel: Record<DnsRecord['purpose'], string> = {
  dkim: 'DKIM',
  spf: 'SPF',
  dmarc: 'DMARC',
  'mta-sts': 'MTA-STS',
  'tls-rpt': 'TLS-RPT',
};

const statusTone: Record<RecordCheck['status'], Tone> = {
  found: 'ok',
  missing: 'danger',
  different: 'warn',
  error: 'danger',
};

const keyTones: Record<string, Tone> = { active: 'ok', pending: 'info', retiring: 'warn' };
const keyTone = (state: string): Tone => keyTones[state] ?? 'neutral';

const recordTitle = (r: DnsRecord) =>
  `${purposeLabel[r.purpose]} record ${r.selector ? `${r.selector} ` : ''}`.trim();

/** One record to publish: name, type, value (each copied in one click), and its check. */
function RecordItem({ record, check }: { record: DnsRecord; check?: RecordCheck | undefined }) {
  const title = recordTitle(record);
  return (
    <li className="space-y-2 rounded-md border border-border p-3" aria-label={title}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{title}</span>
        {record.algorithm && <span className="text-xs text-muted">{record.algorithm}</span>}
        {record.state && <Badge tone={keyTone(record.state)}>{record.state}</Badge>}
        <span className="ml-auto">
          {check ? (
            <Badge tone={statusTone[check.status]} aria-label={`${title}: ${check.status}`}>
              {check.status}
            </Badge>
          ) : (
            <span className="text-xs text-muted">not checked</span>
          )}
        </span>
      </div>
      {record.note && <p className="text-xs text-muted">{record.note}</p>}
      <dl className="grid grid-cols-[auto_1fr_auto] items-start gap-x-3 gap-y-1.5 text-sm">
        <dt className="pt-1.5 text-xs text-muted">Name</dt>
        <dd className="pt-1 font-mono break-all">{record.name}</dd>
        <dd>
          <CopyButton value={record.name} what={`name of ${title}`} />
        </dd>
        <dt className="text-xs text-muted">Type</dt>
        <dd className="col-span-2 font-mono">{record.type}</dd>
        <dt className="pt-1.5 text-xs text-muted">Value</dt>
        <dd className="pt-1 font-mono text-xs break-all">{record.value}</dd>
        <dd>
          <CopyButton value={record.value} what={`value of ${title}`} />
        </dd>
      </dl>
      {check && check.status !== 'found' && (
        <div className="rounded-md bg-surface-2 p-2 text-xs">
          {check.status === 'missing' && <p>Nothing of this kind is published at that name.</p>}
          {check.status === 'error' && <p>DNS did not answer: {check.error}</p>}
          {check.status === 'different' && (
            <>
              <p className="font-medium">Published instead:</p>
              <ul className="mt-1 space-y-1">
                {check.found.map((f) => (
                  <li key={f} className="font-mono break-all">
                    {f}
                  </li>
                ))}
              </ul>
            </>
          )}
          <p className="mt-1">
            Expected: <span className="font-mono break-all">{check.value}</span>
          </p>
        </div>
      )}
    </li>
  );
}

type KeyRow = DomainView['keys'][number];

/** A sending domain: the records to publish with their check, its keys; admins rotate. */
export function DomainDetail({ name }: { name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const domain = useQuery(trpc.domains.get.queryOptions({ name }));
  const check = useQuery({
    ...trpc.domains.check.queryOptions({ name }),
    enabled: false,
    retry: false,
  });
  const [rotateOpen, setRotateOpen] = useState(false);
  const [removeOpen, setRemoveOpen] = useState(false);
  const remove = useMutation(
    trpc.domains.remove.mutationOptions({
      onSuccess: async () => {
        setRemoveOpen(false);
        await queryClient.invalidateQueries(trpc.domains.list.pathFilter());
        router.push('/domains');
      },
    }),
  );
  const isAdmin = me.data?.role === 'admin';

  if (domain.isPending) return <LoadingBlock label="Loading the domain" />;
  if (domain.error) {
    return (
      <ErrorPanel
        title="Cannot show this domain"
        message={errorMessage(domain.error)}
        action={<Link href="/domains">All domains</Link>}
      />
    );
  }
  const d = domain.data;
  const checkOf = (r: DnsRecord) =>
    check.data?.records.find((c) => c.name === r.name && c.value === r.value);
  const needing = check.data?.records.filter((r) => r.status !== 'found').length ?? 0;

  const h = columnHelper<KeyRow>();
  const columns = h.columns([
    h.accessor('selector', { header: 'Selector', cell: (c) => <code>{c.getValue()}</code> }),
    h.accessor('algorithm', { header: 'Algorithm' }),
    h.accessor('state', {
      header: 'State',
      cell: (c) => <Badge tone={keyTone(c.getValue())}>{c.getValue()}</Badge>,
    }),
    h.accessor('active_from', { header: 'Signs from', cell: (c) => formatTimestamp(c.getValue()) }),
    h.accessor('retire_at', {
      header: 'Retires',
      cell: (c) => (c.getValue() ? formatTimestamp(c.getValue()) : '—'),
    }),
    h.accessor('secret', {
      header: 'Private key (secret)',
      cell: (c) => <code className="text-xs">{c.getValue()}</code>,
    }),
  ]);

  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm text-muted">
        <Link href="/domains" className="hover:underline">
          Domains
        </Link>{' '}
        / {d.name}
      </nav>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-xl font-semibold break-all">{d.name}</h1>
        <div className="flex flex-wrap gap-2">
          <Button onClick={() => void check.refetch()} disabled={check.isFetching}>
            {check.isFetching ? 'Checking…' : 'Check'}
          </Button>
          {isAdmin && (
            <>
              <Button onClick={() => setRotateOpen(true)}>Rotate</Button>
              <Button variant="danger" onClick={() => setRemoveOpen(true)}>
                Remove
              </Button>
            </>
          )}
        </div>
      </div>
      <div aria-live="polite">
        {check.error && <ErrorPanel title="Not checked" message={errorMessage(check.error)} />}
        {check.data && (
          <p role="status" className={needing === 0 ? 'text-sm text-ok' : 'text-sm text-warn'}>
            {needing === 0
              ? `Every record is published as expected (checked ${formatTimestamp(check.data.checked_at)}).`
              : `${needing} of ${check.data.records.length} records need attention (checked ${formatTimestamp(check.data.checked_at)}).`}
          </p>
        )}
      </div>
      {remove.error && <ErrorPanel title="Not removed" message={errorMessage(remove.error)} />}

      <Card title="DNS records to publish">
        <p className="mb-3 text-sm text-muted">
          Publish these TXT records at your DNS provider, then press Check.
        </p>
        <ul className="space-y-3" aria-label="DNS records">
          {d.records.map((r) => (
            <RecordItem key={`${r.name} ${r.value}`} record={r} check={checkOf(r)} />
          ))}
        </ul>
      </Card>

      {d.mta_sts_policy && (
        <Card
          title="MTA-STS policy"
          actions={<CopyButton value={d.mta_sts_policy.body} what="MTA-STS policy" />}
        >
          <p className="mb-2 text-sm text-muted">
            Serve it at <code className="break-all">{d.mta_sts_policy.url}</code>
          </p>
          <pre className="overflow-x-auto rounded-md bg-surface-2 p-2 text-xs">
            {d.mta_sts_policy.body}
          </pre>
        </Card>
      )}

      {d.retired_records.length > 0 && (
        <Card title="Retired keys: remove these records">
          <ul className="space-y-1 text-sm">
            {d.retired_records.map((r) => (
              <li key={r.name} className="font-mono break-all">
                {r.name}
              </li>
            ))}
          </ul>
        </Card>
      )}

      <Card title="DKIM keys">
        <DataTable label="DKIM keys" columns={columns} data={d.keys} getRowId={(k) => k.selector} />
      </Card>

      {isAdmin && (
        <>
          <RotateDialog name={d.name} open={rotateOpen} onOpenChange={setRotateOpen} />
          <ConfirmDialog
            open={removeOpen}
            onOpenChange={setRemoveOpen}
            title={`Remove ${d.name}?`}
            description="Its keys and their secrets are deleted; its mail goes out unsigned from then on."
            confirmLabel="Remove domain"
            danger
            busy={remove.isPending}
            onConfirm={() => remove.mutate({ name: d.name })}
          />
        </>
      )}
    </div>
  );
}

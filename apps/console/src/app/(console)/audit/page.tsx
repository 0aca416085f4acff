import type { Metadata } from 'next';
import { HydrateClient, prefetch, type SearchProps, trpc } from '../../../server/trpc/server.tsx';
import { AuditEntries } from './audit-entries.tsx';
import { AuditFilters } from './audit-filters.tsx';
import { loadAuditSearchParams, toAuditInput } from './search-params.ts';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: SearchProps) {
  const search = loadAuditSearchParams(await searchParams);
  await prefetch(trpc.audit.list.queryOptions(toAuditInput(search)));
  return (
    <HydrateClient>
      <h1 className="mb-4 text-xl font-semibold">Audit log</h1>
      <AuditFilters />
      <AuditEntries />
    </HydrateClient>
  );
}

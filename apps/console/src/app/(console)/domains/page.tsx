import type { Metadata } from 'next';
import { HydrateClient, prefetch, trpc } from '../../../server/trpc/server.tsx';
import { DomainsList } from './domains-list.tsx';

export const metadata: Metadata = { title: 'Domains' };

export default async function DomainsPage() {
  await prefetch(trpc.domains.list.queryOptions());
  return (
    <HydrateClient>
      <DomainsList />
    </HydrateClient>
  );
}

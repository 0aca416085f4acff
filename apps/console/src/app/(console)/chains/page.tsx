import type { Metadata } from 'next';
import { HydrateClient, prefetch, trpc } from '../../../server/trpc/server.tsx';
import { ChainsTable } from './chains-table.tsx';

export const metadata: Metadata = { title: 'Chains' };

export default async function ChainsPage() {
  await prefetch(trpc.chains.list.queryOptions());
  return (
    <HydrateClient>
      <h1 className="mb-1 text-xl font-semibold">Chains</h1>
      <p className="mb-4 text-sm text-muted">
        The filters each sender's mail passes through. A saved chain reaches every running router
        within seconds.
      </p>
      <ChainsTable />
    </HydrateClient>
  );
}

import type { Metadata } from 'next';
import { createLoader } from 'nuqs/server';
import { HydrateClient, prefetch, type SearchProps, trpc } from '../../server/trpc/server.tsx';
import { Dashboard } from './dashboard.tsx';
import { rangeParam } from './dashboard-params.ts';

export const metadata: Metadata = { title: 'Dashboard' };

const load = createLoader({ range: rangeParam });

export default async function DashboardPage({ searchParams }: SearchProps) {
  const { range } = load(await searchParams);
  await prefetch(trpc.dashboard.get.queryOptions({ range }));
  return (
    <HydrateClient>
      <Dashboard />
    </HydrateClient>
  );
}

import type { Metadata } from 'next';
import { HydrateClient, prefetch, trpc } from '../../../server/trpc/server.tsx';
import { SendersList } from './senders-list.tsx';

export const metadata: Metadata = { title: 'Senders' };

export default async function SendersPage() {
  await Promise.all([
    prefetch(trpc.senders.list.queryOptions()),
    prefetch(trpc.senders.chainOptions.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <SendersList />
    </HydrateClient>
  );
}

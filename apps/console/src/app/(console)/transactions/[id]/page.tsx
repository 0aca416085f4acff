import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { TransactionView } from './transaction-view.tsx';

export const metadata: Metadata = { title: 'Transaction' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function TransactionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  await Promise.all([
    prefetch(trpc.transactions.detail.queryOptions({ id })),
    prefetch(trpc.transactions.message.queryOptions({ id })),
  ]);
  return (
    <HydrateClient>
      <TransactionView id={id} />
    </HydrateClient>
  );
}

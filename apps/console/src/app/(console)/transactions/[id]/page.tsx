import { transactionIdInputSchema } from '@koukan/services';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { TransactionView } from './transaction-view.tsx';

export const metadata: Metadata = { title: 'Transaction' };

export default async function TransactionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!transactionIdInputSchema.safeParse({ id }).success) notFound();
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

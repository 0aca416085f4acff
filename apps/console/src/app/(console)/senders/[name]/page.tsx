import { senderNameSchema } from '@koukan/db/schema';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { SenderDetail } from './sender-detail.tsx';

export const metadata: Metadata = { title: 'Sender' };

export default async function SenderPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  if (!senderNameSchema.safeParse(name).success) notFound();
  await Promise.all([
    prefetch(trpc.senders.list.queryOptions()),
    prefetch(trpc.senders.chainOptions.queryOptions()),
    prefetch(trpc.apiKeys.list.queryOptions({ sender: name })),
  ]);
  return (
    <HydrateClient>
      <SenderDetail name={name} />
    </HydrateClient>
  );
}

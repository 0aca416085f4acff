import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { SenderDetail } from './sender-detail.tsx';

export const metadata: Metadata = { title: 'Sender' };

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export default async function SenderPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  if (!NAME.test(name)) notFound();
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

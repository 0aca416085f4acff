import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { SandboxMessageView } from './sandbox-message-view.tsx';

export const metadata: Metadata = { title: 'Sandbox message' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function SandboxMessagePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  await prefetch(trpc.sandbox.get.queryOptions({ id }));
  return (
    <HydrateClient>
      <SandboxMessageView id={id} />
    </HydrateClient>
  );
}

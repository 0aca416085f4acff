import { sandboxIdInput } from '@koukan/services';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { SandboxMessageView } from './sandbox-message-view.tsx';

export const metadata: Metadata = { title: 'Sandbox message' };

export default async function SandboxMessagePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!sandboxIdInput.safeParse({ id }).success) notFound();
  await prefetch(trpc.sandbox.get.queryOptions({ id }));
  return (
    <HydrateClient>
      <SandboxMessageView id={id} />
    </HydrateClient>
  );
}

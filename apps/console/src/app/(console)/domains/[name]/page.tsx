import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { DomainDetail } from './domain-detail.tsx';

export const metadata: Metadata = { title: 'Domain' };

const NAME = /^[a-z0-9.-]{1,253}$/i;

export default async function DomainPage({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeURIComponent((await params).name).toLowerCase();
  if (!NAME.test(name)) notFound();
  await prefetch(trpc.domains.get.queryOptions({ name }));
  return (
    <HydrateClient>
      <DomainDetail name={name} />
    </HydrateClient>
  );
}

import { chainNameSchema } from '@koukan/db/schema';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../server/trpc/server.tsx';
import { ChainEditor } from './chain-editor.tsx';

export const metadata: Metadata = { title: 'Chain' };

export default async function ChainPage({
  params,
  searchParams,
}: {
  params: Promise<{ name: string }>;
  searchParams: Promise<{ new?: string }>;
}) {
  const name = decodeURIComponent((await params).name);
  if (!chainNameSchema.safeParse(name).success) notFound();
  const isNew = (await searchParams).new === '1';
  await Promise.all([
    isNew ? undefined : prefetch(trpc.chains.get.queryOptions({ name })),
    prefetch(trpc.chains.secretNames.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <nav aria-label="Breadcrumb" className="mb-1 text-sm text-muted">
        <Link href="/chains" className="hover:underline">
          Chains
        </Link>{' '}
        / {name}
      </nav>
      <h1 className="mb-4 text-xl font-semibold">
        {isNew ? 'New chain ' : 'Chain '}
        <span className="font-mono">{name}</span>
      </h1>
      <ChainEditor name={name} isNew={isNew} />
    </HydrateClient>
  );
}

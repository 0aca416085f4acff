import { chainNameSchema } from '@koukan/db/schema';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { HydrateClient, prefetch, trpc } from '../../../../../server/trpc/server.tsx';
import { RevisionHistory } from './revision-history.tsx';

export const metadata: Metadata = { title: 'Chain revisions' };

export default async function ChainRevisionsPage({
  params,
}: {
  params: Promise<{ name: string }>;
}) {
  const name = decodeURIComponent((await params).name);
  if (!chainNameSchema.safeParse(name).success) notFound();
  await prefetch(trpc.chains.revisions.queryOptions({ name }));
  return (
    <HydrateClient>
      <nav aria-label="Breadcrumb" className="mb-1 text-sm text-muted">
        <Link href="/chains" className="hover:underline">
          Chains
        </Link>{' '}
        /{' '}
        <Link href={`/chains/${encodeURIComponent(name)}`} className="hover:underline">
          {name}
        </Link>{' '}
        / revisions
      </nav>
      <h1 className="mb-4 text-xl font-semibold">
        Revision history of <span className="font-mono">{name}</span>
      </h1>
      <RevisionHistory name={name} />
    </HydrateClient>
  );
}

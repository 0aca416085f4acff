import type { Metadata } from 'next';
import { HydrateClient, prefetch, type SearchProps, trpc } from '../../../server/trpc/server.tsx';
import { Mailboxes } from './mailboxes.tsx';
import { SandboxMessages } from './sandbox-messages.tsx';
import { loadSandboxSearchParams, toSandboxInput } from './search-params.ts';

export const metadata: Metadata = { title: 'Sandbox' };

export default async function SandboxPage({ searchParams }: SearchProps) {
  const search = loadSandboxSearchParams(await searchParams);
  await Promise.all([
    prefetch(trpc.sandbox.mailboxes.queryOptions()),
    prefetch(trpc.sandbox.list.queryOptions(toSandboxInput(search))),
  ]);
  return (
    <HydrateClient>
      <h1 className="mb-1 text-xl font-semibold">Sandbox</h1>
      <p className="mb-4 text-sm text-muted">
        Messages kept by <code>sandbox</code> filters instead of being delivered.
      </p>
      <div className="grid gap-4 md:grid-cols-[14rem_1fr]">
        <Mailboxes />
        <SandboxMessages />
      </div>
    </HydrateClient>
  );
}

import type { Metadata } from 'next';
import { HydrateClient, prefetch, serverCaller, trpc } from '../../../server/trpc/server.tsx';
import { UsersAdmin } from './users-admin.tsx';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const me = await (await serverCaller()).me.get();
  if (me?.role !== 'admin') {
    return (
      <div role="alert" className="rounded-lg border border-border bg-surface p-4 text-sm">
        Only administrators manage users.
      </div>
    );
  }
  await prefetch(trpc.users.list.queryOptions());
  return (
    <HydrateClient>
      <UsersAdmin meId={me.id} />
    </HydrateClient>
  );
}

import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { Shell } from '../../components/shell.tsx';
import { HydrateClient, prefetch, serverCaller, trpc } from '../../server/trpc/server.tsx';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await (await serverCaller()).me.get();
  if (!user) redirect('/sign-in');
  await prefetch(trpc.me.get.queryOptions());
  return (
    <HydrateClient>
      <Shell user={user}>{children}</Shell>
    </HydrateClient>
  );
}

import type { Metadata } from 'next';
import { HydrateClient, prefetch, type SearchProps, trpc } from '../../../server/trpc/server.tsx';
import { GroupMessages } from './group-messages.tsx';
import { QueueFilters } from './queue-filters.tsx';
import { QueueGroups } from './queue-groups.tsx';
import { QueueTabs } from './queue-tabs.tsx';
import { groupFilter, groupsInput, loadQueueSearchParams, messagesInput } from './search-params.ts';

export const metadata: Metadata = { title: 'Retry queues' };

export default async function QueuesPage({ searchParams }: SearchProps) {
  const search = loadQueueSearchParams(await searchParams);
  const group = groupFilter(search);
  await Promise.all([
    prefetch(trpc.queues.groups.queryOptions(groupsInput(search))),
    prefetch(trpc.transactions.senders.queryOptions({})),
    group ? prefetch(trpc.queues.messages.queryOptions(messagesInput(group, search))) : null,
  ]);
  return (
    <HydrateClient>
      <h1 className="mb-4 text-xl font-semibold">Retry queues</h1>
      <QueueTabs />
      <QueueFilters />
      <QueueGroups />
      <GroupMessages />
    </HydrateClient>
  );
}

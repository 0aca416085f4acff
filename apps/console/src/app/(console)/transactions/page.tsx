import type { Metadata } from 'next';
import { HydrateClient, prefetch, type SearchProps, trpc } from '../../../server/trpc/server.tsx';
import { loadTransactionSearchParams, toListInput } from './search-params.ts';
import { TransactionFilters } from './transaction-filters.tsx';
import { TransactionsTable } from './transactions-table.tsx';

export const metadata: Metadata = { title: 'Transactions' };

export default async function TransactionsPage({ searchParams }: SearchProps) {
  const search = loadTransactionSearchParams(await searchParams);
  await Promise.all([
    prefetch(trpc.transactions.list.queryOptions(toListInput(search))),
    prefetch(trpc.transactions.senders.queryOptions({})),
  ]);
  return (
    <HydrateClient>
      <h1 className="mb-4 text-xl font-semibold">Transactions</h1>
      <TransactionFilters />
      <TransactionsTable />
    </HydrateClient>
  );
}

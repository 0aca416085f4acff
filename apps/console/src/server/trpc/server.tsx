import 'server-only';
import { dehydrate, HydrationBoundary } from '@tanstack/react-query';
import { createTRPCOptionsProxy, type TRPCQueryOptions } from '@trpc/tanstack-react-query';
import { headers } from 'next/headers';
import type { SearchParams } from 'nuqs/server';
import { cache, type ReactNode } from 'react';
import { makeQueryClient } from '../../trpc/query-client.ts';
import { runtime } from '../runtime.ts';
import { createRequestContext } from './context.ts';
import { appRouter } from './root.ts';

/** One context per request, from the incoming cookies. */
const createContext = cache(async () =>
  createRequestContext(runtime(), new Headers(await headers())),
);

const getQueryClient = cache(makeQueryClient);

/** Server components prefetch through this proxy; the client's cache is hydrated from it. */
export const trpc = createTRPCOptionsProxy({
  ctx: createContext,
  router: appRouter,
  queryClient: getQueryClient,
});

export const serverCaller = async () => appRouter.createCaller(await createContext());

/** The props of a page that reads its search params (filters, cursor) from the URL. */
export type SearchProps = { searchParams: Promise<SearchParams> };

export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

// biome-ignore lint/suspicious/noExplicitAny: any tRPC query options
export function prefetch<T extends ReturnType<TRPCQueryOptions<any>>>(options: T): Promise<void> {
  return getQueryClient().prefetchQuery(options);
}

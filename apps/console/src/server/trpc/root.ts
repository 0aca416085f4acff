import { createCallerFactory, createTRPCRouter } from './init.ts';
import { chainsRouter } from './routers/chains.ts';
import { dashboardRouter } from './routers/dashboard.ts';
import { meRouter } from './routers/me.ts';
import { transactionsRouter } from './routers/transactions.ts';
import { usersRouter } from './routers/users.ts';

export const appRouter = createTRPCRouter({
  me: meRouter,
  dashboard: dashboardRouter,
  transactions: transactionsRouter,
  chains: chainsRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

/** `createCaller(innerContext)`: the server components' and the tests' way in. */
export const createCaller = createCallerFactory(appRouter);

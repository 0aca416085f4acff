import { createCallerFactory, createTRPCRouter } from './init.ts';
import { auditRouter } from './routers/audit.ts';
import { apiKeysRouter } from './routers/api-keys.ts';
import { configRouter } from './routers/config.ts';
import { chainsRouter } from './routers/chains.ts';
import { dashboardRouter } from './routers/dashboard.ts';
import { domainsRouter } from './routers/domains.ts';
import { meRouter } from './routers/me.ts';
import { queuesRouter } from './routers/queues.ts';
import { sandboxRouter } from './routers/sandbox.ts';
import { sendersRouter } from './routers/senders.ts';
import { transactionsRouter } from './routers/transactions.ts';
import { usersRouter } from './routers/users.ts';

export const appRouter = createTRPCRouter({
  me: meRouter,
  dashboard: dashboardRouter,
  transactions: transactionsRouter,
  chains: chainsRouter,
  users: usersRouter,
  domains: domainsRouter,
  queues: queuesRouter,
  sandbox: sandboxRouter,
  audit: auditRouter,
  senders: sendersRouter,
  apiKeys: apiKeysRouter,
  config: configRouter,
});

export type AppRouter = typeof appRouter;

/** `createCaller(innerContext)`: the server components' and the tests' way in. */
export const createCaller = createCallerFactory(appRouter);

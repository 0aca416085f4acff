import type { Db } from '@koukan/db';
import type { Logger } from 'pino';

/**
 * What every service function receives: called as `fn({ ctx, input })` by the router's REST
 * handlers, the console's tRPC procedures and the delivery engine alike.
 */
export interface ServiceContext {
  db: Db;
  logger: Logger;
  /** Who acts: `sender:<name>`, `user:<email>`, `system:<component>`; written to the audit log. */
  actor: string;
  /** The clock, injectable so tests can move time. */
  now?: () => Date;
}

export interface ServiceCall<I> {
  ctx: ServiceContext;
  input: I;
}

export function nowOf(ctx: ServiceContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

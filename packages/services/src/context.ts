import { type Db, getChainByName } from '@koukan/db';
import type { Chain } from '@koukan/db/schema';
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
  /**
   * The configuration as this process holds it (the router's live cache, reloaded within
   * 2 s of a change), so the request path need not read chains; absent: read from the database.
   */
  config?: ConfigView;
}

export interface ConfigView {
  getChain(name: string): Chain | undefined;
}

/** A chain by name: from the live configuration when it has it, else from the database. */
export async function chainByName(
  ctx: Pick<ServiceContext, 'db' | 'config'>,
  name: string,
): Promise<Chain | undefined> {
  return ctx.config?.getChain(name) ?? getChainByName(ctx.db, name);
}

export interface ServiceCall<I> {
  ctx: ServiceContext;
  input: I;
}

export function nowOf(ctx: ServiceContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

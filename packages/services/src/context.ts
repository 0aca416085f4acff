import { type DnsResolve, validateChain } from '@koukan/chain';
import { type Db, getChainByName } from '@koukan/db';
import type { Chain, Sender } from '@koukan/db/schema';
import type { Logger } from 'pino';
import type { SecretKey } from './secrets/cipher.ts';

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
  /** The key that encrypts stored secrets (KOUKAN_SECRETS_KEY or the data folder's key file);
   * services that read or write secrets refuse to run without it. */
  secretKey?: SecretKey;
  /** DNS for checks of published records (`domain check`); default: the system resolver. */
  dns?: DnsResolve;
}

export interface ConfigView {
  getChain(name: string): Chain | undefined;
  /** A sender by name or id, as the live configuration has it. */
  getSender?(nameOrId: string): Sender | undefined;
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

const validations = new WeakMap<Chain, ReturnType<typeof validateChain>>();

/**
 * `validateChain` of a chain row, remembered per row object: a row of the live configuration
 * is validated once, not on every transaction (a reload brings new objects).
 */
export function validatedChain(chain: Chain): ReturnType<typeof validateChain> {
  let v = validations.get(chain);
  if (!v) {
    v = validateChain(chain.filters);
    validations.set(chain, v);
  }
  return v;
}

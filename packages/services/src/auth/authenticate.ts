import { findApiKey, type schema, touchApiKey } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { AppError, fieldError } from '../errors.ts';

type Sender = schema.Sender;

/** Who presented a key: every sender the key is registered for (usually one). */
export interface Principal {
  /** The key's visible prefix, safe to log. Never the key itself. */
  keyPrefix: string;
  senders: Sender[];
  /** An operator (console) acts on every sender's transactions; API keys never do. */
  anySender?: boolean;
  /** A gateway key (the SMTP gateway's own credential): may set a transaction's `session`. */
  gateway?: boolean;
}

/** The principal of a console operator or a system component: sees every transaction. */
export function operatorPrincipal(who: string): Principal {
  return { keyPrefix: who, senders: [], anySender: true };
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * Resolves `Authorization: Bearer <key>` to the key's senders; 401 without a valid key.
 * The key is hashed and compared in the database; it is never logged.
 */
export async function authenticate({
  ctx,
  input,
}: ServiceCall<{ authorization: string | undefined }>): Promise<Principal> {
  if (!input.authorization) {
    throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <api key>"', {
      details: [{ field: 'headers.authorization', message: 'required' }],
    });
  }
  const m = BEARER.exec(input.authorization);
  if (!m) {
    throw new AppError('unauthorized', 'the Authorization header must be "Bearer <api key>"', {
      details: [{ field: 'headers.authorization', message: 'not a Bearer token' }],
    });
  }
  const rows = await findApiKey(ctx.db, m[1]!);
  if (rows.length === 0) {
    throw new AppError('unauthorized', 'invalid or revoked API key', {
      details: [{ field: 'headers.authorization', message: 'unknown key' }],
    });
  }
  await Promise.all(rows.map((r) => touchApiKey(ctx.db, r.apiKey.id)));
  return {
    keyPrefix: rows[0]!.apiKey.prefix,
    senders: rows.map((r) => r.sender),
    ...(rows.every((r) => r.apiKey.gateway) && { gateway: true }),
  };
}

/** The sender named in the URL, if the key belongs to it and it is enabled; 403 otherwise. */
export function requireSender(principal: Principal, name: string): Sender {
  const sender = principal.senders.find((s) => s.name === name);
  if (!sender) {
    throw new AppError('forbidden', `this API key does not belong to sender "${name}"`, {
      details: [{ field: 'params.sender', message: 'not a sender of this key' }],
    });
  }
  requireEnabled(sender);
  return sender;
}

export function requireEnabled(sender: Sender): void {
  if (!sender.enabled) {
    throw fieldError('forbidden', `sender "${sender.name}" is disabled`, 'sender', 'disabled');
  }
}

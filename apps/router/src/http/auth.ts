import { lazyChild } from '@koukan/chain';
import type { Db } from '@koukan/db';
import {
  AppError,
  type Authenticate,
  type ConfigView,
  type Principal,
  requireSender,
  type ServiceContext,
} from '@koukan/services';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The service context of a request: its logger carries the request id. */
export function contextOf(
  deps: { db: Db; config?: ConfigView | undefined },
  request: FastifyRequest,
): ServiceContext {
  const p = request.principal;
  return {
    db: deps.db,
    ...(deps.config && { config: deps.config }),
    logger: request.log as unknown as Logger,
    actor: p ? `key:${p.keyPrefix}` : 'anonymous',
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'not authenticated');
  return request.principal;
}

/**
 * onRequest hook: authenticates before the body is read, so a request without a valid key is
 * refused (401) before any upload starts; with `:sender` in the URL, the key must be that
 * sender's (403).
 */
export function requireApiKey(db: Db, authenticate: Authenticate): onRequestAsyncHookHandler {
  return async (request) => {
    const principal = await authenticate({
      ctx: contextOf({ db }, request),
      input: { authorization: request.headers.authorization },
    });
    request.principal = principal;
    request.log = lazyChild(request.log as unknown as Logger, {
      keyPrefix: principal.keyPrefix,
    }) as unknown as FastifyRequest['log'];
    const sender = (request.params as { sender?: string }).sender;
    if (sender !== undefined) requireSender(principal, sender);
  };
}

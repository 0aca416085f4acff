import { appErrorCodes, isAppError, type ServiceCall, type ServiceContext } from '@koukan/services';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { UserAdminError } from '../auth/users.ts';
import type { InnerContext, SessionUser } from './context.ts';

const t = initTRPC.context<InnerContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field errors for forms: from a zod input parse or from an AppError's details.
        fields:
          cause instanceof ZodError
            ? cause.issues.map((i) => ({ field: i.path.join('.'), message: i.message }))
            : isAppError(cause)
              ? cause.details
              : undefined,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Binds a child logger (path, user, request id) and turns the service layer's AppError into
 * the matching tRPC code with its user-facing message; anything else is logged as unexpected.
 */
const base = t.procedure.use(async ({ ctx, path, type, next }) => {
  const logger = ctx.logger.child({ path, user: ctx.user?.email, requestId: ctx.requestId });
  const result = await next({ ctx: { logger } });
  if (!result.ok) {
    const err = result.error;
    const cause = err.cause;
    if (isAppError(cause)) {
      throw new TRPCError({ code: appErrorCodes[cause.code].trpc, message: cause.message, cause });
    }
    if (cause instanceof UserAdminError) {
      const code =
        cause.code === 'not_found'
          ? 'NOT_FOUND'
          : cause.code === 'conflict'
            ? 'CONFLICT'
            : 'BAD_REQUEST';
      throw new TRPCError({ code, message: cause.message, cause });
    }
    if (err.code === 'INTERNAL_SERVER_ERROR')
      logger.error({ err: cause ?? err, type }, 'procedure failed');
  }
  return result;
});

export const publicProcedure = base;

const rank: Record<SessionUser['role'], number> = { viewer: 1, operator: 2, admin: 3 };

/** A procedure for signed-in users of at least `role`; the context gains `user` and `service`. */
function withRole(role: SessionUser['role']) {
  return base.use(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
    if (rank[ctx.user.role] < rank[role]) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `This needs the ${role} role; you are ${ctx.user.role}.`,
      });
    }
    const service: ServiceContext = {
      db: ctx.db,
      logger: ctx.logger,
      actor: `user:${ctx.user.email}`,
      ...(ctx.secretKey && { secretKey: ctx.secretKey }),
      ...(ctx.dns && { dns: ctx.dns }),
    };
    return next({ ctx: { user: ctx.user, service } });
  });
}

/** The resolver of a procedure that is one service call, made as the caller (`ctx.service`). */
export const service =
  <I, O>(fn: (call: ServiceCall<I>) => O) =>
  ({ ctx, input }: { ctx: { service: ServiceContext }; input: I }) =>
    fn({ ctx: ctx.service, input });

export const viewerProcedure = withRole('viewer');
export const operatorProcedure = withRole('operator');
export const adminProcedure = withRole('admin');

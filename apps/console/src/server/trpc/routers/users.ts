import { type Db, recordAudit } from '@koukan/db';
import {
  createUserWithPassword,
  inviteUserInput,
  listUsers,
  resetPassword,
  setDisabled,
  setDisabledInput,
  setRole,
  setRoleInput,
  userIdInput,
} from '../../auth/users.ts';
import { adminProcedure, createTRPCRouter } from '../init.ts';

/** Audits an admin's action on a console user, under the user's email (never a password). */
function audit(
  ctx: { db: Db; service: { actor: string } },
  action: string,
  user: { id: string; email: string },
  details: Record<string, unknown> = {},
) {
  return recordAudit(ctx.db, {
    actor: ctx.service.actor,
    action,
    entityType: 'console_user',
    entityId: user.id,
    details: { email: user.email, ...details },
  });
}

/** Console users: admins only. Passwords are returned once and never logged or audited. */
export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.auth)),

  invite: adminProcedure.input(inviteUserInput).mutation(async ({ ctx, input }) => {
    const { user, password } = await createUserWithPassword(ctx.auth, input);
    await audit(ctx, 'user.invite', user, { role: user.role });
    ctx.logger.info({ userId: user.id, role: user.role }, 'user invited');
    return { user, temporaryPassword: password };
  }),

  setRole: adminProcedure.input(setRoleInput).mutation(async ({ ctx, input }) => {
    const user = await setRole(ctx.auth, ctx.user.id, input);
    await audit(ctx, 'user.set_role', user, { role: input.role });
    return user;
  }),

  setDisabled: adminProcedure.input(setDisabledInput).mutation(async ({ ctx, input }) => {
    const user = await setDisabled(ctx.auth, ctx.user.id, input);
    await audit(ctx, input.disabled ? 'user.disable' : 'user.enable', user);
    return user;
  }),

  resetPassword: adminProcedure.input(userIdInput).mutation(async ({ ctx, input }) => {
    const { user, password } = await resetPassword(ctx.auth, input);
    await audit(ctx, 'user.reset_password', user);
    return { user, temporaryPassword: password };
  }),
});

import { recordAudit } from '@koukan/db';
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

/** Console users: admins only. Passwords are returned once and never logged or audited. */
export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.auth)),

  invite: adminProcedure.input(inviteUserInput).mutation(async ({ ctx, input }) => {
    const { user, password } = await createUserWithPassword(ctx.auth, input);
    await recordAudit(ctx.db, {
      actor: ctx.service.actor,
      action: 'user.invite',
      entityType: 'console_user',
      entityId: user.id,
      details: { email: user.email, role: user.role },
    });
    ctx.logger.info({ userId: user.id, role: user.role }, 'user invited');
    return { user, temporaryPassword: password };
  }),

  setRole: adminProcedure.input(setRoleInput).mutation(async ({ ctx, input }) => {
    const user = await setRole(ctx.auth, ctx.user.id, input);
    await recordAudit(ctx.db, {
      actor: ctx.service.actor,
      action: 'user.set_role',
      entityType: 'console_user',
      entityId: user.id,
      details: { email: user.email, role: input.role },
    });
    return user;
  }),

  setDisabled: adminProcedure.input(setDisabledInput).mutation(async ({ ctx, input }) => {
    const user = await setDisabled(ctx.auth, ctx.user.id, input);
    await recordAudit(ctx.db, {
      actor: ctx.service.actor,
      action: input.disabled ? 'user.disable' : 'user.enable',
      entityType: 'console_user',
      entityId: user.id,
      details: { email: user.email },
    });
    return user;
  }),

  resetPassword: adminProcedure.input(userIdInput).mutation(async ({ ctx, input }) => {
    const { user, password } = await resetPassword(ctx.auth, input);
    await recordAudit(ctx.db, {
      actor: ctx.service.actor,
      action: 'user.reset_password',
      entityType: 'console_user',
      entityId: user.id,
      details: { email: user.email },
    });
    return { user, temporaryPassword: password };
  }),
});

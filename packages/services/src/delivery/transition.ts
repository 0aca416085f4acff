import { applyTransition, type DbOrTx, getTransaction } from '@koukan/db';
import { isAllowed, type Transaction, type TransitionName } from '@koukan/db/schema';
import { nowOf, type ServiceContext } from '../context.ts';
import { AppError } from '../errors.ts';

const refused = (id: string, t: Transaction, name: TransitionName) =>
  new AppError('conflict', `transaction ${id} is ${t.status}`, {
    details: [{ field: 'status', message: `${name} not allowed when ${t.status}` }],
    extra: { status: t.status },
  });

/**
 * One transition of the state machine (`@koukan/db/state`) on one transaction, inside the
 * caller's database transaction: `not_found`, or `conflict` (with `extra.status`) when its
 * status does not allow it, also when it moved on between the read and the write. Returns the
 * row before and after.
 */
export async function transitionOne(
  db: DbOrTx,
  ctx: ServiceContext,
  input: { id: string; name: TransitionName; data?: Record<string, unknown> },
): Promise<{ before: Transaction; after: Transaction }> {
  const { id, name } = input;
  const before = await getTransaction(db, id);
  if (!before) throw new AppError('not_found', `no transaction ${id}`);
  if (!isAllowed(name, before.status)) throw refused(id, before, name);
  const applied = await applyTransition(db, {
    name,
    rows: [before],
    actor: ctx.actor,
    now: nowOf(ctx),
    ...(input.data && { data: input.data }),
  });
  const after = (await getTransaction(db, id))!;
  if (applied === 0) throw refused(id, after, name);
  return { before, after };
}

import { deleteSecretRow, recordAudit } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { AppError, fieldError, parseInput } from '../errors.ts';
import { secretNameInputSchema } from './schemas.ts';
import { secretUsers } from './users.ts';

/**
 * Deletes a secret. One still used by a chain or a domain's key is refused (`conflict`, naming
 * the users) unless `force`: mail would go out unsigned or fail to authenticate.
 */
export async function deleteSecret({
  ctx,
  input,
}: ServiceCall<{ name: string; force?: boolean }>): Promise<void> {
  const { name } = parseInput(secretNameInputSchema, { name: input.name });
  await ctx.db.transaction(async (tx) => {
    const users = await secretUsers(tx, name);
    if (users.length > 0 && !input.force) {
      throw new AppError('conflict', `secret "${name}" is used by ${users.join(', ')}`, {
        details: [{ field: 'name', message: `used by ${users.join(', ')}` }],
      });
    }
    if (!(await deleteSecretRow(tx, name))) {
      throw fieldError('not_found', `no secret named "${name}"`, 'name', 'no such secret');
    }
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'secret.delete',
      entityType: 'secret',
      entityId: name,
      details: { name, ...(users.length > 0 && { still_used_by: users }) },
    });
  });
}

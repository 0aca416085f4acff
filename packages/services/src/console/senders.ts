import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';

export const senderOptionsInputSchema = z.strictObject({}).default({});
export type SenderOptionsInput = z.input<typeof senderOptionsInputSchema>;

export interface SenderOption {
  id: string;
  name: string;
  enabled: boolean;
}

/** Every sender's name, for the list's sender filter. */
export async function listSenderOptions(
  _call: ServiceCall<SenderOptionsInput>,
): Promise<SenderOption[]> {
  throw new AppError('internal', 'not implemented');
}

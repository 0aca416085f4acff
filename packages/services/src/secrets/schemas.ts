import { secretNameSchema } from '@koukan/db/schema';
import { z } from 'zod';

/** A secret's value: up to 64 KiB of text (a PEM key, an API key, a token). */
const secretValueSchema = z.string().min(1, 'the value is empty').max(65536, 'at most 64 KiB');

export const secretInputSchema = z.strictObject({
  name: secretNameSchema,
  value: secretValueSchema,
});
export type SecretInput = z.input<typeof secretInputSchema>;

export const secretNameInputSchema = z.strictObject({ name: secretNameSchema });

import { domainNameSchema, domainSettingsSchema, durationSchema } from '@koukan/db/schema';
import { z } from 'zod';

export const domainNameInputSchema = z.strictObject({ name: domainNameSchema });

export const addDomainInputSchema = z.strictObject({
  name: domainNameSchema,
  settings: domainSettingsSchema.optional(),
});
export type AddDomainInput = z.input<typeof addDomainInputSchema>;

export const updateDomainInputSchema = z.strictObject({
  name: domainNameSchema,
  settings: domainSettingsSchema,
});
export type UpdateDomainInput = z.input<typeof updateDomainInputSchema>;

export const rotateDomainInputSchema = z.strictObject({
  name: domainNameSchema,
  /** how long the new keys wait, published, before they sign: time to publish them `= 2d` */
  publish_wait: durationSchema.default('2d'),
  /** how long replaced keys stay published once the new ones sign `= 7d` */
  grace: durationSchema.default('7d'),
});
export type RotateDomainInput = z.input<typeof rotateDomainInputSchema>;

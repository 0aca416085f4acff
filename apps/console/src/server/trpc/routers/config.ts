import {
  configExport,
  configImportApply,
  configImportPreview,
  configYamlInput,
} from '@koukan/services';
import { adminProcedure, createTRPCRouter, operatorProcedure, service } from '../init.ts';

/**
 * The whole configuration (senders, chains, sending domains) as YAML, in the format of
 * `KOUKAN_CONFIG` and `koukan config export|import`. Operators read it and preview an import;
 * admins apply one (each changed entity audited with the admin as actor). Secrets are never
 * part of it.
 */
export const configRouter = createTRPCRouter({
  export: operatorProcedure.query(({ ctx }) => configExport({ ctx: ctx.service, input: {} })),

  /** What an import would change, per entity, without changing anything. */
  preview: operatorProcedure.input(configYamlInput).mutation(service(configImportPreview)),

  import: adminProcedure.input(configYamlInput).mutation(async ({ ctx, input }) => {
    const result = await configImportApply({ ctx: ctx.service, input });
    ctx.logger.info(
      {
        senders: result.changedSenders.length,
        chains: result.changedChains.length,
        domains: result.changedDomains.length,
      },
      'configuration imported',
    );
    return result;
  }),
});

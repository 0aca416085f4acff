import {
  chainDiff,
  chainDiffInput,
  chainGet,
  chainList,
  chainNameInput,
  chainRestore,
  chainRestoreInput,
  chainRevisionGet,
  chainRevisionInput,
  chainRevisionList,
  chainSave,
  chainSaveInput,
  chainSecretNames,
  dryRunChain,
  dryRunInput,
} from '@koukan/services';
import { adminProcedure, createTRPCRouter, service, viewerProcedure } from '../init.ts';

/**
 * Output chains: everyone signed in reads them (and dry-runs an edit, which delivers nothing
 * and reads no secret); only admins save or restore. Saves and restores are audited by the
 * service and reach running routers through their configuration reload.
 */
export const chainsRouter = createTRPCRouter({
  /** Every chain with the senders (and exploders) that use it. */
  list: viewerProcedure.query(({ ctx }) => chainList({ ctx: ctx.service, input: {} })),

  get: viewerProcedure.input(chainNameInput).query(service(chainGet)),

  /** A new revision with the caller as author and a comment; `expected_version` guards races. */
  save: adminProcedure.input(chainSaveInput).mutation(service(chainSave)),

  revisions: viewerProcedure.input(chainNameInput).query(service(chainRevisionList)),

  revision: viewerProcedure.input(chainRevisionInput).query(service(chainRevisionGet)),

  diff: viewerProcedure.input(chainDiffInput).query(service(chainDiff)),

  /** Saves an earlier revision's filters as a new revision (history is never rewritten). */
  restore: adminProcedure.input(chainRestoreInput).mutation(service(chainRestore)),

  /**
   * Runs a saved or edited chain without delivering: outputs are recorded, secrets are
   * throwaway keys. A mutation (it is an action, and its input can be a whole message).
   */
  dryRun: viewerProcedure
    .input(dryRunInput)
    .mutation(({ ctx, input }) =>
      dryRunChain({ ctx: ctx.service, input }, ctx.dns ? { dns: ctx.dns } : {}),
    ),

  /** Secret names for the editor's pickers (never values). */
  secretNames: viewerProcedure.query(({ ctx }) =>
    chainSecretNames({ ctx: ctx.service, input: {} }),
  ),
});

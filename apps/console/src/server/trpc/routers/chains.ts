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
import { adminProcedure, createTRPCRouter, viewerProcedure } from '../init.ts';

/**
 * Output chains: everyone signed in reads them (and dry-runs an edit, which delivers nothing
 * and reads no secret); only admins save or restore. Saves and restores are audited by the
 * service and reach running routers through their configuration reload.
 */
export const chainsRouter = createTRPCRouter({
  /** Every chain with the senders (and exploders) that use it. */
  list: viewerProcedure.query(({ ctx }) => chainList({ ctx: ctx.service, input: {} })),

  get: viewerProcedure
    .input(chainNameInput)
    .query(({ ctx, input }) => chainGet({ ctx: ctx.service, input })),

  /** A new revision with the caller as author and a comment; `expected_version` guards races. */
  save: adminProcedure
    .input(chainSaveInput)
    .mutation(({ ctx, input }) => chainSave({ ctx: ctx.service, input })),

  revisions: viewerProcedure
    .input(chainNameInput)
    .query(({ ctx, input }) => chainRevisionList({ ctx: ctx.service, input })),

  revision: viewerProcedure
    .input(chainRevisionInput)
    .query(({ ctx, input }) => chainRevisionGet({ ctx: ctx.service, input })),

  diff: viewerProcedure
    .input(chainDiffInput)
    .query(({ ctx, input }) => chainDiff({ ctx: ctx.service, input })),

  /** Saves an earlier revision's filters as a new revision (history is never rewritten). */
  restore: adminProcedure
    .input(chainRestoreInput)
    .mutation(({ ctx, input }) => chainRestore({ ctx: ctx.service, input })),

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

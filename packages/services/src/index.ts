export * from './api-keys/create.ts';
export * from './api-keys/list.ts';
export * from './api-keys/revoke.ts';
export * from './api-keys/schemas.ts';
export * from './audit/list.ts';
export * from './auth/authenticate.ts';
export * from './auth/principal-cache.ts';
export * from './blobs/body-spec.ts';
export * from './blobs/content-range.ts';
export * from './chains/diff.ts';
export * from './chains/dry-run/dry-run.ts';
export type { DryRunStep } from './chains/dry-run/recorder.ts';
export * from './chains/get.ts';
export * from './chains/list.ts';
export * from './chains/restore.ts';
export * from './chains/revisions.ts';
export * from './chains/save.ts';
export { type ChainView, chainNameInput, chainSaveInput } from './chains/schemas.ts';
export * from './chains/secret-names.ts';
export * from './config/preview.ts';
export * from './config/yaml.ts';
export * from './console/index.ts';
export * from './context.ts';
export * from './delivery/index.ts';
export * from './domains/index.ts';
export * from './errors.ts';
export * from './exploder/cancel.ts';
export * from './exploder/envelope.ts';
export * from './exploder/submission.ts';
export * from './notifications/index.ts';
export * from './queue/list-groups.ts';
export * from './queue/list-messages.ts';
export * from './queue/schemas.ts';
export * from './sandbox/delete.ts';
export * from './sandbox/list.ts';
export * from './sandbox/message.ts';
export * from './secrets/index.ts';
export * from './senders/create.ts';
export * from './senders/list.ts';
export {
  type SenderView,
  senderCreateInput,
  senderNameInput,
  senderUpdateInput,
} from './senders/schemas.ts';
export * from './senders/update.ts';
export * from './transactions/address.ts';
export * from './transactions/after-upload.ts';
export * from './transactions/cancel.ts';
export * from './transactions/create.ts';
export * from './transactions/events.ts';
export * from './transactions/get.ts';
export * from './transactions/message-builder-schema.ts';
export * from './transactions/patch.ts';
export * from './transactions/schemas.ts';
export type { SessionFacts } from './transactions/session.ts';
export * from './transactions/upload-blob.ts';
export * from './transactions/upload-body.ts';
export { toView } from './transactions/view.ts';

import {
  type BlobRef,
  builderBlobRefs,
  type MessageBuilderSpec,
  messageBuilderSchema,
  type PartContent,
} from '@koukan/chain/builder';

/**
 * The message-builder body is defined once, by @koukan/chain (the message_builder filter that
 * renders it); the REST boundary validates with the same schema.
 */
export { type MessageBuilderSpec, messageBuilderSchema, type PartContent };

/** Every part whose content is an upload (`create_id`) or a reuse, with its JSON path. */
export function builderParts(spec: MessageBuilderSpec): { path: string; content: BlobRef }[] {
  return builderBlobRefs(spec).map(({ path, ref }) => ({
    path: path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`))
      .join(''),
    content: ref,
  }));
}

export { type BuildOptions, buildMessage } from './build.ts';
export { type ParseOptions, parseMessage } from './parse.ts';
export {
  addressSchema,
  attachmentSchema,
  type BlobRef,
  builderBlobRefs,
  type MessageBuilderInput,
  type MessageBuilderSpec,
  messageBuilderSchema,
  type PartContent,
  partContentSchema,
  relatedPartSchema,
} from './schema.ts';

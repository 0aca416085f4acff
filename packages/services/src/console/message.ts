import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import type {
  AttachmentContent,
  AttachmentInput,
  MessageInput,
  ParsedMessage,
  RawMessage,
} from './message-schema.ts';

/**
 * The stored body of a transaction, parsed for display. `conflict` while the body is not yet
 * uploaded, `payload_too_large` above MESSAGE_PARSE_MAX_BYTES (download it raw instead),
 * `not_found` when there is no such transaction or it has no body.
 */
export async function getMessage({
  ctx: _ctx,
  input: _input,
}: ServiceCall<MessageInput>): Promise<ParsedMessage> {
  throw new AppError('internal', 'not implemented');
}

/** The stored body as bytes, for download. Same errors as getMessage, without the size cap. */
export async function getRawMessage({
  ctx: _ctx,
  input: _input,
}: ServiceCall<MessageInput>): Promise<RawMessage> {
  throw new AppError('internal', 'not implemented');
}

/** One attachment of the parsed body, by its `index` in ParsedMessage.attachments. */
export async function getAttachment({
  ctx: _ctx,
  input: _input,
}: ServiceCall<AttachmentInput>): Promise<AttachmentContent> {
  throw new AppError('internal', 'not implemented');
}

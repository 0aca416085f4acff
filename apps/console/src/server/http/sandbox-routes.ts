import { type ServiceContext, sandboxAttachment, sandboxHtml, sandboxRaw } from '@koukan/services';
import { attachmentDownload, htmlPage, rawDownload } from './downloads.ts';

/** A kept message's downloads: the same responses as a transaction's. */
export async function sandboxRawResponse(ctx: ServiceContext, id: string): Promise<Response> {
  return rawDownload(await sandboxRaw({ ctx, input: { id } }));
}

export async function sandboxHtmlResponse(ctx: ServiceContext, id: string): Promise<Response> {
  return htmlPage(await sandboxHtml({ ctx, input: { id } }));
}

export async function sandboxAttachmentResponse(
  ctx: ServiceContext,
  id: string,
  index: string,
): Promise<Response> {
  return attachmentDownload(await sandboxAttachment({ ctx, input: { id, index: Number(index) } }));
}

import { listSandboxMessages, sandboxMailboxes, type schema } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';

export const sandboxListInput = z.strictObject({
  mailbox: z.string().min(1).max(200).optional(),
  /** Part of the subject, envelope sender, a recipient or the Message-ID. */
  search: z.string().min(1).max(200).optional(),
  cursor: z.strictObject({ at: z.string().min(10).max(40), id: z.uuid() }).optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

/**
 * The sandbox inbox: messages kept by `sandbox` filters, newest first, per mailbox, searched
 * by subject, addresses or Message-ID. Open one in the message view through its
 * `transactionId` or read its raw body from `blobId`.
 */
export async function sandboxList({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxListInput>>): Promise<{
  items: schema.SandboxMessage[];
  next: { at: string; id: string } | null;
}> {
  const i = parseInput(sandboxListInput, input);
  return listSandboxMessages(ctx.db, {
    ...(i.mailbox && { mailbox: i.mailbox }),
    ...(i.search && { search: i.search }),
    ...(i.cursor && { before: i.cursor }),
    limit: i.limit,
  });
}

/** Mailboxes with their counts and newest message. */
export function sandboxMailboxList({ ctx }: ServiceCall<unknown>) {
  return sandboxMailboxes(ctx.db);
}

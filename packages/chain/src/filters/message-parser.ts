import { Transform } from 'node:stream';
import { parseMessage } from '../builder/parse.ts';
import type { FilterRun } from '../registry.ts';
import { perm } from '../responses.ts';

class TooLarge extends Error {}

/** RFC 822 → message-builder JSON (for receiving applications), left in `tx.parsed`. */
export const messageParser: FilterRun<'message_parser'> = async (tx, config, ctx) => {
  if (!tx.body) return { kind: 'continue' };
  let size = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > config.max_size)
        return cb(new TooLarge(`message exceeds ${config.max_size} bytes`));
      cb(null, chunk);
    },
  });
  try {
    const parsed = await parseMessage(tx.openBody().pipe(limiter), {
      inlineLimit: config.inline_limit,
      ...(ctx.blobWriter ? { blobWriter: ctx.blobWriter } : {}),
    });
    tx.setParsed(parsed);
    tx.event('message_parsed', {
      attachments: parsed.attachments.length,
      related: parsed.related.length,
    });
    return { kind: 'continue' };
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    const v = perm(err.message, 552, '5.3.4');
    return { kind: 'done', data: v };
  }
};

/**
 * Child process for builder.test.ts: streams a message with a `megabytes` MB attachment through
 * buildMessage → parseMessage (the attachment written to a hashing blob writer) and reports how
 * much memory stayed live, sampled after a forced GC at every MiB of message (run with
 * --expose-gc). Its own process, so no other test's allocations are counted.
 */
import { createHash } from 'node:crypto';
import type { BlobWriter } from '../types.ts';
import { buildMessage } from './build.ts';
import { generated } from './generated.ts';
import { parseMessage } from './parse.ts';
import { messageBuilderSchema } from './schema.ts';

const size = Number(process.argv[2]) * 1024 * 1024;
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with --expose-gc');
const gc = maybeGc;

let stored = '';
const writer: BlobWriter = {
  async put(content) {
    const h = createHash('sha256');
    for await (const c of content) h.update(c as Buffer);
    stored = h.digest('hex');
    return `blob:${stored}`;
  },
};
const spec = messageBuilderSchema.parse({
  from: [{ address: 'a@example.com' }],
  subject: 'big one',
  text: { content: { inline: 'a big attachment follows' } },
  attachments: [{ filename: 'big.bin', content: { create_id: 'big' } }],
});

gc();
const base = process.memoryUsage();
const baseline = base.heapUsed + base.arrayBuffers;
const samples: number[] = [];
let bytes = 0;
let nextSample = 1 << 20;
const message = buildMessage(spec, { blobs: { open: () => generated(size) } }).open();
message.on('data', (c: Buffer) => {
  bytes += c.length;
  if (bytes >= nextSample) {
    nextSample += 1 << 20;
    gc();
    const m = process.memoryUsage();
    samples.push(m.heapUsed + m.arrayBuffers - baseline);
  }
});
await parseMessage(message, { blobWriter: writer, inlineLimit: 64 * 1024 });
process.stdout.write(
  JSON.stringify({
    bytes,
    stored,
    samples: samples.map((s) => Math.round(s / 1024)),
    maxRetained: Math.max(0, ...samples),
  }),
);

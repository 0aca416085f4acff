/**
 * Child process for builder.test.ts: streams a message with a `megabytes` MB attachment through
 * buildMessage → parseMessage (the attachment written to a hashing blob writer) and reports how
 * much memory stayed live, sampled after a forced GC at every MiB of message (run with
 * --expose-gc). Its own process, so no other test's allocations are counted.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobWriter } from '../types.ts';
import { buildMessage } from './build.ts';
import { parseMessage } from './parse.ts';
import { messageBuilderSchema } from './schema.ts';

const size = Number(process.argv[2]) * 1024 * 1024;
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with --expose-gc');
const gc = maybeGc;

export function generated(total: number): Readable {
  let offset = 0;
  let state = 0x9e3779b9;
  return new Readable({
    read() {
      if (offset >= total) return this.push(null);
      const n = Math.min(65536, total - offset);
      const buf = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        buf[i] = state >>> 24;
      }
      offset += n;
      this.push(buf);
    },
  });
}

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

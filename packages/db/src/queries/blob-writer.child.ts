/**
 * Child process for blobs.test.ts: writes `megabytes` MB of deterministic bytes into a blob
 * through writeBlobStream and reports what it wrote and how much memory it retained, sampled
 * after a forced GC every 4 MB (run with --expose-gc). Measured in its own process so that the
 * database (an in-process PGlite in the parent, when embedded) is not counted.
 */
import { createHash } from 'node:crypto';
import { createDb } from '../client/create-db.ts';
import { createBlob, finalizeBlob, writeBlobStream } from './blobs.ts';

const [url, megabytes] = [process.argv[2]!, Number(process.argv[3])];
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with --expose-gc');
const gc = maybeGc;

const { db, close } = createDb({ url, poolSize: 2 });
const hash = createHash('sha256');
const samples: number[] = [];

function* pseudoRandom(total: number, piece: number) {
  let x = 0x9e3779b9;
  for (let written = 0; written < total; written += piece) {
    const buf = Buffer.allocUnsafe(Math.min(piece, total - written));
    for (let i = 0; i < buf.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buf.writeUInt32LE(x >>> 0, i);
    }
    hash.update(buf);
    if (written % (4 << 20) === 0) {
      gc();
      samples.push(process.memoryUsage().arrayBuffers);
    }
    yield buf;
  }
}

gc();
const baseline = process.memoryUsage().arrayBuffers;
const blob = await createBlob(db);
// 100 KB pieces against 256 KiB chunk rows: the writer must re-cut them.
const size = await writeBlobStream(db, blob.id, pseudoRandom(megabytes << 20, 100_000));
await finalizeBlob(db, blob.id);
await close();
process.stdout.write(
  JSON.stringify({
    blobId: blob.id,
    size,
    sha256: hash.digest('hex'),
    baseline,
    maxRetained: Math.max(...samples) - baseline,
    peakRss: process.resourceUsage().maxRSS * 1024,
  }),
);

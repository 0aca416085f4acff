import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import {
  appendBlobChunk,
  BLOB_CHUNK_SIZE,
  collectUnreferencedBlobs,
  createBlob,
  finalizeBlob,
  getBlob,
  readBlob,
  readBlobStream,
  writeBlobStream,
} from './blobs.ts';
import { createSender } from './senders.ts';
import { insertTransaction } from './transactions.ts';

const t = useTestDatabase();

describe('blobs', () => {
  it('writes 50 MB in chunks with bounded writer memory and reads it back byte-identical', async () => {
    const child = fileURLToPath(new URL('./blob-writer.child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', child, t.url, '50'],
      { maxBuffer: 1 << 20 },
    );
    const report = JSON.parse(stdout) as {
      blobId: string;
      size: number;
      sha256: string;
      maxRetained: number;
    };
    expect(report.size).toBe(50 << 20);
    // Retained buffer memory of the writer (after GC, sampled every 4 MB) stays within a few
    // chunks, far below the 50 MB it wrote.
    expect(report.maxRetained).toBeLessThan(4 * BLOB_CHUNK_SIZE + (1 << 20));

    const blob = await getBlob(t.db, report.blobId);
    expect(blob).toMatchObject({ status: 'finalized', size: 50 << 20 });
    expect(blob!.chunkCount).toBe(Math.ceil((50 << 20) / BLOB_CHUNK_SIZE));
    const hash = createHash('sha256');
    let read = 0;
    for await (const piece of readBlobStream(t.db, report.blobId)) {
      hash.update(piece as Buffer);
      read += (piece as Buffer).length;
    }
    expect(read).toBe(50 << 20);
    expect(hash.digest('hex')).toBe(report.sha256);
  }, 180_000);

  it('appends only at the current offset, so an interrupted upload resumes', async () => {
    const blob = await createBlob(t.db, { expectedSize: 11 });
    expect(await appendBlobChunk(t.db, blob.id, 0, Buffer.from('hello'))).toBe(5);
    await expect(appendBlobChunk(t.db, blob.id, 0, Buffer.from('again'))).rejects.toMatchObject({
      code: 'version_conflict',
      message: expect.stringContaining('has 5 bytes'),
    });
    // A stream that dies halfway keeps what it wrote.
    async function* dies() {
      yield Buffer.from(' wor');
      throw new Error('client went away');
    }
    await expect(writeBlobStream(t.db, blob.id, dies(), { chunkSize: 2 })).rejects.toThrow(
      'went away',
    );
    expect((await getBlob(t.db, blob.id))!.size).toBe(9);
    await writeBlobStream(t.db, blob.id, [Buffer.from('ld')]);
    await finalizeBlob(t.db, blob.id);
    expect((await readBlob(t.db, blob.id)).toString()).toBe('hello world');
    await expect(appendBlobChunk(t.db, blob.id, 11, Buffer.from('!'))).rejects.toMatchObject({
      code: 'version_conflict',
      message: expect.stringContaining('finalized'),
    });
    await expect(
      appendBlobChunk(t.db, '00000000-0000-4000-8000-000000000000', 0, Buffer.from('x')),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses more than maxBytes', async () => {
    const blob = await createBlob(t.db);
    await expect(
      writeBlobStream(t.db, blob.id, [Buffer.alloc(10), Buffer.alloc(10)], { maxBytes: 15 }),
    ).rejects.toThrow(RangeError);
  });

  it('collects only unreferenced blobs', async () => {
    const kept = await createBlob(t.db);
    const dropped = await createBlob(t.db);
    await writeBlobStream(t.db, dropped.id, [Buffer.from('bye')]);
    const sender = await createSender(t.db, { name: uniqueName() });
    await insertTransaction(t.db, {
      senderId: sender.id,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [{ m: 'b@example.org' }],
      bodyBlobId: kept.id,
    });
    const collected = await collectUnreferencedBlobs(t.db, new Date(Date.now() + 60_000));
    expect(collected).toBeGreaterThanOrEqual(1);
    expect(await getBlob(t.db, dropped.id)).toBeUndefined();
    expect(await getBlob(t.db, kept.id)).toBeDefined();
    const { rows } = await t.pool.query(
      'select count(*)::int as n from blob_chunks where blob_id = $1',
      [dropped.id],
    );
    expect(rows[0].n).toBe(0);
  });
});

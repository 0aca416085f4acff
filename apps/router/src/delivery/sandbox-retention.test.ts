import { Readable } from 'node:stream';
import { getBlob, getSandboxMessage, listAudit, recordAudit } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { retentionDefaults, runRetentionPass } from '../engine/retention.ts';
import { databaseSuite } from '../engine/testing/harness.ts';
import { sandboxStore } from './chain-ports.ts';

/** Issue 10 item 12: every stored byte has an owner whose retention frees it. */
const t = databaseSuite();

const HOUR = 3_600_000;
const options = retentionDefaults({
  bodyAfterMs: HOUR,
  deleteAfterMs: 2 * HOUR,
  blobGraceMs: HOUR,
  auditAfterMs: 24 * HOUR,
  batch: 100,
});

describe('retention frees what a transaction owns', () => {
  it('a sandbox copy goes with its transaction', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id, { status: 'delivered' });
    const { id: inboxId } = await sandboxStore(t.db).store({
      sender: s.name,
      transaction_id: tx.id,
      mail_from: { m: 'a@example.org' },
      rcpt_to: [{ m: 'b@example.org' }],
      body: Readable.from([Buffer.from('Subject: kept\r\n\r\nx\r\n')]),
    });
    const copy = (await getSandboxMessage(t.db, inboxId))!.blobId!;
    expect(await getBlob(t.db, copy)).toMatchObject({ refCount: 1, status: 'finalized' });
    await t.pool.query(
      `update transactions set finished_at = now() - interval '3 hours' where id = $1`,
      [tx.id],
    );
    // body released, row deleted (with the inbox row that held the copy)
    await runRetentionPass(t.db, options, new Date());
    await runRetentionPass(t.db, options, new Date());
    expect(await getBlob(t.db, copy)).toMatchObject({ refCount: 0 });
    expect(await getSandboxMessage(t.db, inboxId)).toBeUndefined();
    // and the copy's bytes are collected after the grace period
    await runRetentionPass(t.db, options, new Date(Date.now() + 2 * HOUR));
    expect(await getBlob(t.db, copy)).toBeUndefined();
  });

  it('the audit log has a retention', async () => {
    const old = await recordAudit(t.db, { actor: 'test', action: 'old', entityType: 'x' });
    const recent = await recordAudit(t.db, { actor: 'test', action: 'recent', entityType: 'x' });
    await t.pool.query(`update audit_log set at = now() - interval '2 days' where id = $1`, [
      old.id,
    ]);
    const result = await runRetentionPass(t.db, options, new Date());
    expect(result.auditDeleted).toBeGreaterThanOrEqual(1);
    const ids = (await listAudit(t.db, { limit: 500 })).map((e) => e.id);
    expect(ids).toContain(recent.id);
    expect(ids).not.toContain(old.id);
  });
});

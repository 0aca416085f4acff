import { randomBytes } from 'node:crypto';
import { listAudit } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { createSecret, secretKeyFromBytes, senderCreate } from '@koukan/services';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { codeOf, fileHarness, silent } from '../../../testing/harness.ts';

const h = fileHarness();

async function errorOf(p: Promise<unknown>): Promise<TRPCError | 'OK'> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  return 'OK';
}

const v1 = [{ filter: 'received_header' }, { filter: 'sandbox', mailbox: 'one' }];
const v2 = [
  { filter: 'received_header', include_auth: false },
  { filter: 'policy', rules: [{ match: { rcpt_domain: ['blocked.example'] }, action: 'reject' }] },
  { filter: 'sandbox', mailbox: 'two' },
];

describe('chains router', () => {
  it('lets every role read, and only admins save or restore', async () => {
    const name = uniqueName('c');
    const admin = h.caller(h.users.admin);
    await admin.chains.save({ name, filters: v1, comment: 'first', expected_version: 0 });
    for (const who of [h.users.viewer, h.users.operator, h.users.admin]) {
      const c = h.caller(who);
      expect((await c.chains.get({ name })).filters).toEqual(v1);
      expect((await c.chains.list()).some((x) => x.name === name)).toBe(true);
      expect(await c.chains.revisions({ name })).toHaveLength(1);
      expect(await c.chains.secretNames()).toEqual(expect.any(Array));
    }
    for (const who of [h.users.operator, h.users.viewer, null]) {
      const c = h.caller(who);
      const expected = who ? 'FORBIDDEN' : 'UNAUTHORIZED';
      expect(await codeOf(c.chains.save({ name, filters: v2, comment: 'x' }))).toBe(expected);
      expect(await codeOf(c.chains.restore({ name, version: 1 }))).toBe(expected);
    }
    expect(await codeOf(h.caller(null).chains.list())).toBe('UNAUTHORIZED');
    expect(
      await codeOf(
        h.caller(null).chains.dryRun({
          chain: { filters: v1 },
          envelope: { mail_from: { m: 'a@example.com' }, rcpt_to: [{ m: 'b@example.com' }] },
          message: { raw: 'Subject: x\n\nhi\n' },
        }),
      ),
    ).toBe('UNAUTHORIZED');
    // Nothing the refused callers sent was saved.
    expect((await admin.chains.get({ name })).version).toBe(1);
  });

  it('lists each chain with the senders that use it', async () => {
    const name = uniqueName('c');
    const admin = h.caller(h.users.admin);
    await admin.chains.save({ name, filters: v1, comment: '' });
    const ctx = { db: h.database.db, logger: silent, actor: 'test' };
    const sender = uniqueName('s');
    await senderCreate({ ctx, input: { name: sender, output_chain: name } });
    const row = (await admin.chains.list()).find((c) => c.name === name);
    expect(row).toMatchObject({ name, version: 1, senders: [sender] });
  });

  it('saves revisions with author and comment, diffs any two, restores as a new revision, audited', async () => {
    const name = uniqueName('c');
    const admin = h.caller(h.users.admin);
    await admin.chains.save({ name, filters: v1, comment: 'first', expected_version: 0 });
    const second = await admin.chains.save({
      name,
      filters: v2,
      comment: 'block a domain',
      expected_version: 1,
    });
    expect(second).toMatchObject({ changed: true, chain: { version: 2 } });
    // A stale editor is refused, naming the field.
    const stale = await errorOf(
      admin.chains.save({ name, filters: v1, comment: 'late', expected_version: 1 }),
    );
    expect(stale).not.toBe('OK');
    expect((stale as TRPCError).code).toBe('CONFLICT');

    const revisions = await h.caller(h.users.viewer).chains.revisions({ name });
    expect(revisions.map((r) => [r.version, r.comment, r.author])).toEqual([
      [2, 'block a domain', `user:${h.users.admin.email}`],
      [1, 'first', `user:${h.users.admin.email}`],
    ]);
    expect(revisions[0]!.created_at).toBeInstanceOf(Date);

    const diff = await h.caller(h.users.viewer).chains.diff({ name, from: 1, to: 2 });
    expect(diff.rows.map((r) => r.kind)).toEqual(['changed', 'added', 'changed']);
    expect(await codeOf(admin.chains.diff({ name, from: 1, to: 9 }))).toBe('NOT_FOUND');

    const restored = await admin.chains.restore({ name, version: 1, expected_version: 2 });
    expect(restored.chain).toMatchObject({ version: 3, filters: v1 });
    const latest = (await admin.chains.revisions({ name }))[0]!;
    expect(latest).toMatchObject({ version: 3, comment: 'restored revision 1' });

    const audit = (await listAudit(h.database.db)).filter(
      (a) => a.entityType === 'chain' && (a.details as { name?: string }).name === name,
    );
    expect(audit.map((a) => a.action).sort()).toEqual([
      'chain.restore',
      'chain.save',
      'chain.save',
    ]);
    expect(audit.every((a) => a.actor === `user:${h.users.admin.email}`)).toBe(true);
  });

  it('refuses an invalid chain with 400 and every field error by path', async () => {
    const err = await errorOf(
      h.caller(h.users.admin).chains.save({
        name: uniqueName('c'),
        filters: [{ filter: 'sandbox' }, { filter: 'rest_output', url: 'nope', sender: '' }],
        comment: '',
      }),
    );
    expect(err).not.toBe('OK');
    expect((err as TRPCError).code).toBe('BAD_REQUEST');
    const fields = ((err as TRPCError).cause as unknown as { details: { field: string }[] }).details
      .map((d) => d.field)
      .sort();
    expect(fields).toEqual(['filters[1].sender', 'filters[1].url']);
    expect(await codeOf(h.caller(h.users.admin).chains.get({ name: uniqueName('none') }))).toBe(
      'NOT_FOUND',
    );
  });

  it('dry-runs an edited, unsaved chain for a viewer, on a pasted message or a transaction', async () => {
    const name = uniqueName('c');
    const admin = h.caller(h.users.admin);
    await admin.chains.save({ name, filters: v1, comment: '' });
    const viewer = h.caller(h.users.viewer);
    const r = await viewer.chains.dryRun({
      chain: { filters: v2 },
      envelope: {
        mail_from: { m: 'alice@example.com' },
        rcpt_to: [{ m: 'bob@blocked.example' }, { m: 'carol@ok.example' }],
      },
      message: { raw: 'From: alice@example.com\nSubject: hi\n\nhello\n' },
    });
    expect(r.steps.map((s) => s.filter)).toEqual(['received_header', 'policy', 'sandbox']);
    expect(r.steps[0]!.headers_added[0]).toMatch(/^Received: /);
    expect(r.final.rcpt[0]).toMatchObject({ response: { code: 550 } });
    expect(r.final.rcpt[1]).toMatchObject({ response: { code: 250 } });
    // The saved chain is unchanged by a dry run.
    expect((await admin.chains.get({ name })).filters).toEqual(v1);

    const sender = await makeSender(h.database.db);
    const tx = await makeTransaction(h.database.db, sender.id);
    const onTx = await viewer.chains.dryRun({
      chain: { name },
      message: { transaction_id: tx.id },
    });
    expect(onTx.steps[1]!.recorded).toMatchObject({ would: 'keep in the sandbox', mailbox: 'one' });
    expect(
      await codeOf(
        viewer.chains.dryRun({
          chain: { filters: v1 },
          message: { transaction_id: '00000000-0000-4000-8000-00000000dead' },
        }),
      ),
    ).toBe('NOT_FOUND');
  });

  it('lists secret names, never values', async () => {
    const ctx = {
      db: h.database.db,
      logger: silent,
      actor: 'test',
      secretKey: secretKeyFromBytes(randomBytes(32)),
    };
    const secret = `dkim/${uniqueName('d')}.example/s1`;
    await createSecret({ ctx, input: { name: secret, value: 'very-secret-value' } });
    const names = await h.caller(h.users.viewer).chains.secretNames();
    expect(names).toContain(secret);
    expect(JSON.stringify(names)).not.toContain('very-secret-value');
  });
});

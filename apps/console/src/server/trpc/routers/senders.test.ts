import { listAudit, upsertChain } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { isAppError } from '@koukan/services';
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();
let chain: string;
beforeAll(async () => {
  chain = uniqueName('chain');
  await upsertChain(h.database.db, {
    name: chain,
    description: 'keeps mail',
    filters: [{ filter: 'sandbox' }],
    author: 'test',
  });
});

/** The fields a refused call names (from the service's AppError or the input's zod parse). */
async function fieldsOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (err) {
    const cause = err instanceof TRPCError ? err.cause : err;
    if (isAppError(cause)) return cause.details.map((d) => d.field ?? '');
    const issues = (cause as { issues?: { path: PropertyKey[] }[] } | undefined)?.issues;
    if (issues) return issues.map((i) => i.path.join('.'));
    throw err;
  }
  return [];
}

async function auditOf(entityId: string) {
  return (await listAudit(h.database.db, { limit: 500 })).filter((a) => a.entityId === entityId);
}

describe('senders router', () => {
  it('lets viewers read senders and chain options, and only admins change them', async () => {
    const name = uniqueName('s');
    await h.caller(h.users.admin).senders.create({ name, output_chain: chain });
    for (const who of [h.users.viewer, h.users.operator, h.users.admin]) {
      const list = await h.caller(who).senders.list();
      expect(list.find((s) => s.name === name)).toMatchObject({ output_chain: chain });
      expect(await h.caller(who).senders.chainOptions()).toContainEqual({
        name: chain,
        description: 'keeps mail',
      });
    }
    expect(await codeOf(h.caller(null).senders.list())).toBe('UNAUTHORIZED');
    for (const who of [h.users.viewer, h.users.operator, null]) {
      const c = h.caller(who);
      const expected = who ? 'FORBIDDEN' : 'UNAUTHORIZED';
      expect(await codeOf(c.senders.create({ name: uniqueName('s') }))).toBe(expected);
      expect(await codeOf(c.senders.update({ name, patch: { description: 'x' } }))).toBe(expected);
      expect(await codeOf(c.senders.setEnabled({ name, enabled: false }))).toBe(expected);
    }
    const after = (await h.caller(h.users.viewer).senders.list()).find((s) => s.name === name);
    expect(after).toMatchObject({ description: '', enabled: true, version: 1 });
  });

  it('creates and edits a sender with audit entries naming the admin', async () => {
    const admin = h.caller(h.users.admin);
    const name = uniqueName('s');
    const created = await admin.senders.create({
      name,
      description: 'billing',
      output_chain: chain,
      retry: { schedule: ['1m', '10m'], max_attempts: 5, max_age: '2d' },
      notification: { enabled: true, mailer_daemon: 'mailer-daemon@example.com' },
    });
    expect(created).toMatchObject({ name, enabled: true, version: 1 });
    const edited = await admin.senders.update({
      name,
      expected_version: 1,
      patch: {
        description: 'billing, prod',
        output_chain: null,
        retry: { schedule: ['30s'], max_attempts: 2 },
        notification: { enabled: false },
      },
    });
    expect(edited).toMatchObject({
      description: 'billing, prod',
      output_chain: null,
      retry: { schedule: ['30s'], max_attempts: 2 },
      version: 2,
    });
    // The form was loaded at version 1.
    expect(
      await codeOf(admin.senders.update({ name, expected_version: 1, patch: { description: '' } })),
    ).toBe('CONFLICT');
    expect((await admin.senders.setEnabled({ name, enabled: false })).enabled).toBe(false);
    expect((await admin.senders.setEnabled({ name, enabled: true })).enabled).toBe(true);

    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual([
      'sender.enable',
      'sender.disable',
      'sender.update',
      'sender.create',
    ]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`user:${h.users.admin.email}`]));
    expect(audit[2]!.details).toMatchObject({
      before: { description: 'billing', output_chain: chain },
      after: { description: 'billing, prod', output_chain: null },
    });
  });

  it('refuses bad input with the offending field named', async () => {
    const admin = h.caller(h.users.admin);
    const name = uniqueName('s');
    expect(await fieldsOf(admin.senders.create({ name: 'Not A Name' }))).toEqual(['name']);
    expect(await fieldsOf(admin.senders.create({ name, retry: { schedule: ['soon'] } }))).toEqual([
      'retry.schedule.0',
    ]);
    expect(await fieldsOf(admin.senders.create({ name, output_chain: 'no-such-chain' }))).toEqual([
      'output_chain',
    ]);
    await admin.senders.create({ name });
    expect(await codeOf(admin.senders.create({ name }))).toBe('CONFLICT');
    expect(await fieldsOf(admin.senders.create({ name }))).toEqual(['name']);
    expect(await fieldsOf(admin.senders.update({ name, patch: { output_chain: 'gone' } }))).toEqual(
      ['patch.output_chain'],
    );
    expect(await codeOf(admin.senders.update({ name: uniqueName('nobody'), patch: {} }))).toBe(
      'NOT_FOUND',
    );
  });
});

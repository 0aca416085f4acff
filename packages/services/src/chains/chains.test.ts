import { listAudit } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { describe, expect, it } from 'vitest';
import { senderCreate } from '../senders/create.ts';
import { useTestDatabase } from '../testing/database.ts';
import { chainDiff, diffFilters } from './diff.ts';
import { chainList } from './list.ts';
import { chainRestore } from './restore.ts';
import { chainRevisionList } from './revisions.ts';
import { chainSave } from './save.ts';

const { t, ctx } = useTestDatabase('user:admin@example.com');

const v1 = [
  { filter: 'received_header' },
  { filter: 'router', policies: [{ type: 'destination_domain' }] },
  { filter: 'rest_output', url: 'http://127.0.0.1:8001', sender: 'outbound' },
];
const v2 = [
  { filter: 'received_header' },
  { filter: 'router', policies: [{ type: 'smarthost', smarthost: 'relay.example:25' }] },
  { filter: 'sandbox', mailbox: 'review' },
  { filter: 'rest_output', url: 'http://127.0.0.1:8001', sender: 'outbound' },
];

describe('chains', () => {
  it('validates with the filter schemas and names each error by path', async () => {
    const err = await chainSave({
      ctx,
      input: {
        name: uniqueName('c'),
        filters: [
          { filter: 'received_header' },
          { filter: 'rest_output', url: 'not a url', sender: 'x', colour: 'red' },
          { filter: 'no_such_filter' },
        ],
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad_request' });
    const fields = (err as { details: { field: string }[] }).details.map((d) => d.field).sort();
    expect(fields).toEqual(['filters[1].colour', 'filters[1].url', 'filters[2].filter']);
  });

  it('saves revisions with author and comment, diffs, restores, and audits each', async () => {
    const name = uniqueName('c');
    const first = await chainSave({
      ctx,
      input: { name, filters: v1, comment: 'first', expected_version: 0 },
    });
    expect(first).toMatchObject({ changed: true, chain: { name, version: 1 } });
    const sender = uniqueName('s');
    await senderCreate({ ctx, input: { name: sender, output_chain: name } });

    const second = await chainSave({
      ctx,
      input: { name, filters: v2, comment: 'via the relay, copy to review', expected_version: 1 },
    });
    expect(second.chain.version).toBe(2);
    // An editor still on version 1 must reload.
    await expect(
      chainSave({ ctx, input: { name, filters: v1, expected_version: 1 } }),
    ).rejects.toMatchObject({ code: 'conflict', details: [{ field: 'expected_version' }] });
    // Saving what is there is not a revision.
    expect(await chainSave({ ctx, input: { name, filters: v2 } })).toMatchObject({
      changed: false,
      chain: { version: 2 },
    });

    const diff = await chainDiff({ ctx, input: { name, from: 1, to: 2 } });
    expect(diff.rows.map((r) => r.kind)).toEqual(['same', 'changed', 'added', 'same']);
    expect(diff.rows[1]).toMatchObject({
      kind: 'changed',
      left: 1,
      right: 1,
      fields: [
        { path: 'policies[0].smarthost', after: 'relay.example:25' },
        { path: 'policies[0].type', before: 'destination_domain', after: 'smarthost' },
      ],
    });
    expect(diff.rows[2]).toMatchObject({ kind: 'added', right: 2, after: { filter: 'sandbox' } });

    const restored = await chainRestore({ ctx, input: { name, version: 1 } });
    expect(restored.chain).toMatchObject({ version: 3, filters: v1 });
    const revisions = await chainRevisionList({ ctx, input: { name } });
    expect(revisions.map((r) => [r.version, r.author, r.comment])).toEqual([
      [3, 'user:admin@example.com', 'restored revision 1'],
      [2, 'user:admin@example.com', 'via the relay, copy to review'],
      [1, 'user:admin@example.com', 'first'],
    ]);
    expect(revisions[0]!.created_at).toBeInstanceOf(Date);

    const audit = (await listAudit(t.db, { limit: 100 })).filter(
      (a) => a.entityId === first.chain.id,
    );
    expect(audit.map((a) => [a.action, a.details.comment])).toEqual([
      ['chain.restore', 'restored revision 1'],
      ['chain.save', 'via the relay, copy to review'],
      ['chain.save', 'first'],
    ]);
    expect(audit[0]!.details).toMatchObject({
      restored_version: 1,
      before: { version: 2, filters: v2 },
      after: { version: 3, filters: v1 },
    });

    const listed = (await chainList({ ctx, input: {} })).find((c) => c.name === name);
    expect(listed).toMatchObject({ version: 3, senders: [sender] });
    await expect(chainRestore({ ctx, input: { name, version: 9 } })).rejects.toMatchObject({
      code: 'not_found',
      details: [{ field: 'version' }],
    });
  });

  it('lists which exploders hand mail to a chain', async () => {
    const out = uniqueName('c');
    const inbound = uniqueName('c');
    await chainSave({ ctx, input: { name: out, filters: [{ filter: 'sandbox' }] } });
    await chainSave({
      ctx,
      input: { name: inbound, filters: [{ filter: 'exploder', output_chain: out }] },
    });
    const listed = (await chainList({ ctx, input: {} })).find((c) => c.name === out);
    expect(listed!.used_by_chains).toEqual([inbound]);
  });
});

describe('diffFilters', () => {
  it('aligns moves, removals and additions for a side-by-side view', () => {
    const a = { filter: 'received_header' };
    const b = { filter: 'auth_check' };
    const c = { filter: 'sandbox', mailbox: 'x' };
    const c2 = { filter: 'sandbox', mailbox: 'y' };
    expect(diffFilters([a, b, c], [b, c2]).map((r) => r.kind)).toEqual([
      'removed',
      'same',
      'changed',
    ]);
    expect(diffFilters([], [a])).toEqual([{ kind: 'added', right: 0, after: a }]);
    expect(diffFilters([a, b], [b, a]).map((r) => r.kind)).toEqual(['added', 'same', 'removed']);
  });
});

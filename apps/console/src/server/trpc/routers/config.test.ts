import { listAudit, upsertChain } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { isAppError } from '@koukan/services';
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();
let chain: string;
let sender: string;
beforeAll(async () => {
  chain = uniqueName('chain');
  sender = uniqueName('s');
  await upsertChain(h.database.db, {
    name: chain,
    filters: [{ filter: 'sandbox', mailbox: 'a' }],
    author: 'test',
  });
  await h.caller(h.users.admin).senders.create({ name: sender, output_chain: chain });
});

describe('config router', () => {
  it('exports the configuration as YAML for operators and admins, not viewers', async () => {
    const { yaml } = await h.caller(h.users.operator).config.export();
    const doc = parse(yaml) as {
      sender: { name: string; output_chain: string }[];
      chain: { name: string; filters: unknown[] }[];
    };
    expect(doc.sender).toContainEqual(
      expect.objectContaining({ name: sender, output_chain: chain }),
    );
    expect(doc.chain).toContainEqual(
      expect.objectContaining({ name: chain, filters: [{ filter: 'sandbox', mailbox: 'a' }] }),
    );
    expect((await h.caller(h.users.admin).config.export()).yaml).toContain(`name: ${sender}`);
    expect(await codeOf(h.caller(h.users.viewer).config.export())).toBe('FORBIDDEN');
    expect(await codeOf(h.caller(null).config.export())).toBe('UNAUTHORIZED');
  });

  it('previews an import without changing anything; only admins apply it, audited', async () => {
    const fresh = uniqueName('s');
    const file = `
sender:
  - name: ${sender}
    output_chain: ${chain}
    description: changed by import
  - name: ${fresh}
    output_chain: ${chain}
chain:
  - name: ${chain}
    filters:
      - filter: sandbox
        mailbox: b
`;
    const preview = await h.caller(h.users.operator).config.preview({ yaml: file });
    expect(preview.senders).toEqual([
      {
        name: sender,
        change: 'update',
        fields: [{ path: 'description', before: '', after: 'changed by import' }],
      },
      { name: fresh, change: 'create', fields: [{ path: 'output_chain', after: chain }] },
    ]);
    expect(preview.chains).toMatchObject([
      { name: chain, change: 'update', version: { from: 1, to: 2 } },
    ]);
    expect(preview.problems).toEqual([]);
    expect(await codeOf(h.caller(h.users.viewer).config.preview({ yaml: file }))).toBe('FORBIDDEN');
    // Nothing changed.
    const before = await h.caller(h.users.viewer).senders.list();
    expect(before.find((s) => s.name === fresh)).toBeUndefined();

    for (const who of [h.users.viewer, h.users.operator]) {
      expect(await codeOf(h.caller(who).config.import({ yaml: file }))).toBe('FORBIDDEN');
    }
    expect((await h.caller(h.users.viewer).senders.list()).find((s) => s.name === fresh)).toBe(
      undefined,
    );

    const result = await h.caller(h.users.admin).config.import({ yaml: file });
    expect(result).toMatchObject({
      changedSenders: [sender, fresh],
      changedChains: [chain],
      changedDomains: [],
    });
    const after = await h.caller(h.users.viewer).senders.list();
    expect(after.find((s) => s.name === sender)?.description).toBe('changed by import');
    expect(after.find((s) => s.name === fresh)?.output_chain).toBe(chain);
    const audit = (await listAudit(h.database.db, { limit: 500 })).filter((a) =>
      ['sender.import', 'chain.import'].includes(a.action),
    );
    expect(audit.map((a) => [a.action, a.details.name, a.actor]).sort()).toEqual(
      [
        ['chain.import', chain, `user:${h.users.admin.email}`],
        ['sender.import', fresh, `user:${h.users.admin.email}`],
        ['sender.import', sender, `user:${h.users.admin.email}`],
      ].sort(),
    );
    const senderEntry = audit.find(
      (a) => a.action === 'sender.import' && a.details.name === sender,
    );
    expect(senderEntry?.details).toMatchObject({
      before: { description: '', output_chain: chain },
      after: { description: 'changed by import', output_chain: chain },
    });
    expect(audit.find((a) => a.details.name === fresh)?.details).toMatchObject({
      before: null,
      after: { output_chain: chain },
    });
    // The same file again changes nothing.
    const again = await h.caller(h.users.operator).config.preview({ yaml: file });
    expect(again.senders.map((s) => s.change)).toEqual(['unchanged', 'unchanged']);
    expect(again.chains.map((c) => c.change)).toEqual(['unchanged']);
  });

  it('answers an invalid file with its errors at their paths', async () => {
    const operator = h.caller(h.users.operator);
    const details = async (
      yaml: string,
      via: (i: { yaml: string }) => Promise<unknown> = operator.config.preview,
    ) => {
      try {
        await via({ yaml });
      } catch (err) {
        expect(err).toBeInstanceOf(TRPCError);
        expect((err as TRPCError).code).toBe('BAD_REQUEST');
        const cause = (err as TRPCError).cause;
        return isAppError(cause) ? cause.details : [];
      }
      throw new Error('accepted');
    };
    expect(
      await details(`sender:\n  - name: ok\n    retry: { schedule: [soon] }\n`),
    ).toContainEqual({ field: 'sender[0].retry.schedule[0]', message: expect.any(String) });
    expect(
      await details(`chain:\n  - name: x\n    filters:\n      - filter: no_such_filter\n`),
    ).toContainEqual(
      expect.objectContaining({ field: expect.stringMatching(/^chain\[0\]\.filters\[0\]/) }),
    );
    expect(await details('sender: [\n')).not.toEqual([]);
    expect(
      await details(
        `sender:\n  - name: ${uniqueName('s')}\n    output_chain: nowhere\n`,
        h.caller(h.users.admin).config.import,
      ),
    ).toEqual([{ field: 'sender[0].output_chain', message: 'no chain named "nowhere"' }]);
    expect(await codeOf(operator.config.preview({ yaml: '' }))).toBe('BAD_REQUEST');
  });
});

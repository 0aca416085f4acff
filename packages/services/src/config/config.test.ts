import { listAudit } from '@koukan/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainSave } from '../chains/save.ts';
import { senderCreate } from '../senders/create.ts';
import { useTestDatabase } from '../testing/database.ts';
import { configImportPreview } from './preview.ts';
import { configExport, configImportApply } from './yaml.ts';

const { t, ctx } = useTestDatabase('user:admin@example.com');
beforeAll(async () => {
  await chainSave({ ctx, input: { name: 'out', filters: [{ filter: 'sandbox', mailbox: 'a' }] } });
  await chainSave({ ctx, input: { name: 'old', filters: [{ filter: 'sandbox' }] } });
  await senderCreate({ ctx, input: { name: 'app', output_chain: 'out', description: 'the app' } });
  await senderCreate({ ctx, input: { name: 'legacy' } });
});

const file = `
sender:
  - name: app
    output_chain: out
    description: the billing app
    retry: { schedule: [1m, 5m], max_attempts: 4 }
  - name: fresh
    output_chain: brand-new
chain:
  - name: out
    filters:
      - filter: received_header
      - filter: sandbox
        mailbox: b
  - name: brand-new
    filters:
      - filter: sandbox
`;

describe('configuration YAML', () => {
  it('previews per entity without changing anything, then applies with audit entries', async () => {
    const exported = (await configExport({ ctx, input: {} })).yaml;
    const preview = await configImportPreview({ ctx, input: { yaml: file } });
    expect(preview.senders).toEqual([
      {
        name: 'app',
        change: 'update',
        fields: [
          { path: 'description', before: 'the app', after: 'the billing app' },
          { path: 'retry', before: null, after: { schedule: ['1m', '5m'], max_attempts: 4 } },
        ],
      },
      {
        name: 'fresh',
        change: 'create',
        fields: [{ path: 'output_chain', after: 'brand-new' }],
      },
    ]);
    expect(
      preview.chains.map((c) => [c.name, c.change, c.version, c.rows.map((r) => r.kind)]),
    ).toEqual([
      ['out', 'update', { from: 1, to: 2 }, ['added', 'changed']],
      ['brand-new', 'create', undefined, ['added']],
    ]);
    expect(preview.not_in_file).toEqual({ senders: ['legacy'], chains: ['old'], domains: [] });
    expect(preview.domains).toEqual([]);
    expect(preview.problems).toEqual([]);
    expect(preview.warnings).toEqual([]);
    // The old spelling previews the same, with its deprecation warning.
    const legacy = file.replace(/^chain:$/m, 'endpoint:').replaceAll('filters:', 'chain:');
    const old = await configImportPreview({ ctx, input: { yaml: legacy } });
    expect({ ...old, warnings: [] }).toEqual(preview);
    expect(old.warnings).toEqual([{ field: 'endpoint', message: expect.any(String) }]);
    // Nothing changed.
    expect((await configExport({ ctx, input: {} })).yaml.split('\n').slice(1)).toEqual(
      exported.split('\n').slice(1),
    );

    const applied = await configImportApply({ ctx, input: { yaml: file } });
    expect(applied.changedSenders.sort()).toEqual(['app', 'fresh']);
    expect(applied.changedChains.sort()).toEqual(['brand-new', 'out']);
    expect(applied.warnings).toEqual([]);
    const audit = await listAudit(t.db, { limit: 20 });
    expect(audit.filter((a) => a.action.endsWith('.import')).map((a) => a.actor)).toEqual(
      Array(4).fill('user:admin@example.com'),
    );
    const again = await configImportPreview({ ctx, input: { yaml: file } });
    expect([...again.senders, ...again.chains].map((e) => e.change)).toEqual(
      Array(4).fill('unchanged'),
    );
    expect((await configExport({ ctx, input: {} })).yaml).toContain('the billing app');
  });

  it('previews sending domains: created, settings changed, keys added; the rest kept', async () => {
    const domainFile = (spf: string, keys: string) => `
domain:
  - name: mail.example.net
    settings: { spf: { mechanisms: [${spf}] } }
    keys:
${keys}`;
    const key = (selector: string) =>
      `      - { selector: ${selector}, algorithm: ed25519-sha256, public_key: QUJD, secret: dkim/${selector}, active_from: '2026-12-01T00:00:00.000Z' }\n`;
    const first = domainFile('mx', key('s1'));
    const created = await configImportPreview({ ctx, input: { yaml: first } });
    expect(created.domains).toMatchObject([
      {
        name: 'mail.example.net',
        change: 'create',
        fields: expect.arrayContaining([
          { path: 'keys.s1', after: expect.objectContaining({ selector: 's1' }) },
        ]),
      },
    ]);
    await configImportApply({ ctx, input: { yaml: first } });
    expect((await configImportPreview({ ctx, input: { yaml: first } })).domains).toEqual([
      { name: 'mail.example.net', change: 'unchanged', fields: [] },
    ]);
    const changed = await configImportPreview({
      ctx,
      input: { yaml: domainFile("mx, 'ip4:192.0.2.1'", key('s1') + key('s2')) },
    });
    expect(changed.domains[0]).toMatchObject({ change: 'update' });
    expect(changed.domains[0]!.fields.map((f) => f.path)).toEqual([
      'settings.spf.mechanisms',
      'keys.s2',
    ]);
    expect(
      (await configImportPreview({ ctx, input: { yaml: 'sender: []' } })).not_in_file.domains,
    ).toEqual(['mail.example.net']);
  });

  it('refuses an invalid file by path, in preview and apply', async () => {
    const bad =
      'chain:\n  - name: x\n    filters:\n      - filter: rest_output\n        url: nope\n';
    // The old spelling's errors name its own keys.
    const legacy = bad.replace('chain:', 'endpoint:').replace('filters:', 'chain:');
    for (const fn of [configImportPreview, configImportApply]) {
      for (const [yaml, field] of [
        [bad, 'chain[0].filters[0].url'],
        [legacy, 'endpoint[0].chain[0].url'],
      ]) {
        await expect(fn({ ctx, input: { yaml: yaml! } })).rejects.toMatchObject({
          code: 'bad_request',
          details: expect.arrayContaining([{ field, message: expect.any(String) }]),
        });
      }
    }
    const dangling = 'sender:\n  - name: lost\n    output_chain: nowhere\n';
    expect((await configImportPreview({ ctx, input: { yaml: dangling } })).problems).toEqual([
      { field: 'sender[0].output_chain', message: 'no chain named "nowhere"' },
    ]);
    await expect(configImportApply({ ctx, input: { yaml: dangling } })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ field: 'sender[0].output_chain' }],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { listAudit } from '../queries/audit.ts';
import type { TestDatabase } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { exportConfig, exportConfigObject } from './export.ts';
import { importConfig } from './import.ts';
import { parseConfig } from './parse.ts';
import { type ChainValidator, ConfigError } from './schema.ts';

const sample = `
sender:
  - name: smtp-mx
    output_chain: smtp-mx
  - name: smtp-mx-output
    output_chain: smtp-mx-output
    retry:
      schedule: [1m, 5m, 15m, 1h]
      max_attempts: 10
      max_age: 2d
    notification:
      enabled: true
      sender: submission
  - name: submission
    output_chain: submission
    description: REST submission
chain:
  - name: smtp-mx
    filters:
      - filter: router
        policies: [{ kind: destination_domain }]
      - filter: exploder
        output_chain: smtp-mx-output
  - name: smtp-mx-output
    filters:
      - filter: dns_resolution
      - filter: rest_output
        url: http://127.0.0.1:8001
  - name: submission
    filters:
      - filter: message_builder
      - filter: rest_output
        url: http://127.0.0.1:8001
`;

async function snapshot(t: TestDatabase) {
  const senders = await t.pool.query(
    'select name, description, output_chain, enabled, retry, notification, settings, version from senders order by name',
  );
  const chains = await t.pool.query(
    'select name, description, filters, version from chains order by name',
  );
  const revisions = await t.pool.query('select count(*)::int as n from chain_revisions');
  return { senders: senders.rows, chains: chains.rows, revisions: revisions.rows[0].n };
}

/** What importing a file that changes nothing returns. */
const unchanged = {
  changedSenders: [],
  changedChains: [],
  changedDomains: [],
  missingSecrets: [],
  warnings: [],
};

describe('configuration as code', () => {
  const a = useTestDatabase();
  const b = useTestDatabase();

  it('imports idempotently, with an audit entry per change', async () => {
    const first = await importConfig(a.db, sample, { actor: 'test' });
    expect(first.changedSenders.sort()).toEqual(['smtp-mx', 'smtp-mx-output', 'submission']);
    expect(first.changedChains.sort()).toEqual(['smtp-mx', 'smtp-mx-output', 'submission']);
    const before = await snapshot(a);
    const auditBefore = await listAudit(a.db, { limit: 100 });
    expect(auditBefore.map((e) => e.action).sort()).toEqual([
      'chain.import',
      'chain.import',
      'chain.import',
      'sender.import',
      'sender.import',
      'sender.import',
    ]);
    const second = await importConfig(a.db, sample, { actor: 'test' });
    expect(second).toEqual(unchanged);
    expect(await snapshot(a)).toEqual(before);
    expect(await listAudit(a.db, { limit: 100 })).toHaveLength(auditBefore.length);
  });

  it('exports what imports back to the same database content', async () => {
    const yaml = await exportConfig(a.db);
    await importConfig(b.db, yaml, { actor: 'test' });
    expect(await snapshot(b)).toEqual(await snapshot(a));
    expect(await exportConfigObject(b.db)).toEqual(await exportConfigObject(a.db));
    // And an exported file re-imported into its source changes nothing.
    expect(await importConfig(a.db, yaml, { actor: 'test' })).toEqual(unchanged);
  });

  it('rejects an invalid file with the path of each offending key and changes nothing', async () => {
    const before = await snapshot(a);
    const broken = sample
      .replace('max_attempts: 10', 'max_attempts: -1')
      .replace('schedule: [1m, 5m, 15m, 1h]', 'schedule: [1m, soon]')
      .replace('description: REST submission', 'descripton: typo');
    const err = await importConfig(a.db, broken, { actor: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      'sender[1].retry.max_attempts',
      'sender[1].retry.schedule[1]',
      'sender[2]',
    ]);
    expect((err as ConfigError).issues.find((i) => i.path === 'sender[2]')!.message).toContain(
      'descripton',
    );
    expect(await snapshot(a)).toEqual(before);
  });

  it('rejects a dangling output_chain, duplicate names and YAML syntax errors', async () => {
    const dangling = 'sender:\n  - name: lost\n    output_chain: nowhere\n';
    await expect(importConfig(a.db, dangling, { actor: 'test' })).rejects.toMatchObject({
      issues: [{ path: 'sender[0].output_chain', message: 'no chain named "nowhere"' }],
    });
    expect(() => parseConfig('sender:\n  - name: x\n  - name: x\n')).toThrow(
      /sender\[1\]\.name: duplicate/,
    );
    expect(() => parseConfig('sender: [unclosed')).toThrow(ConfigError);
    // A rejected import rolled back: nothing named "lost" exists.
    const { rows } = await a.pool.query(`select 1 from senders where name = 'lost'`);
    expect(rows).toHaveLength(0);
  });

  it('writes chains under `chain:`, each with its `filters:`', async () => {
    const doc = await exportConfigObject(a.db);
    expect(doc).not.toHaveProperty('endpoint');
    expect(doc.chain.find((c) => c.name === 'submission')).toEqual({
      name: 'submission',
      description: '',
      filters: [
        { filter: 'message_builder' },
        { filter: 'rest_output', url: 'http://127.0.0.1:8001' },
      ],
    });
    expect(await exportConfig(a.db)).toMatch(/^chain:\n {2}- name: smtp-mx\n/m);
  });

  it('reads the old `endpoint:` spelling as the same chains, with a deprecation warning', async () => {
    const legacy = sample
      .replace('chain:\n  - name: smtp-mx\n', 'endpoint:\n  - name: smtp-mx\n')
      .replaceAll('    filters:\n', '    chain:\n');
    expect(legacy).toMatch(/^endpoint:$/m);
    const warnings: unknown[] = [];
    expect(parseConfig(legacy, { onWarning: (w) => warnings.push(w) })).toEqual(
      parseConfig(sample),
    );
    expect(warnings).toEqual([
      { path: 'endpoint', message: expect.stringContaining('`endpoint:` is deprecated') },
    ]);
    const result = await importConfig(a.db, legacy, { actor: 'test' });
    expect(result).toMatchObject({ changedChains: [], warnings: [{ path: 'endpoint' }] });
    expect(() => parseConfig(`${sample}endpoint: []\n`)).toThrow(/endpoint: give the chains/);
  });

  it('reports filter errors from the chain validator under the chain path', () => {
    const validateChain: ChainValidator = (filters) => {
      const list = filters as { filter: string }[];
      const i = list.findIndex((f) => f.filter === 'exploder' && !('output_chain' in f));
      return i < 0
        ? { ok: true }
        : { ok: false, errors: [{ path: [i, 'output_chain'], message: 'required' }] };
    };
    const text =
      'chain:\n  - name: e\n    filters:\n      - filter: router\n      - filter: exploder\n';
    expect(() => parseConfig(text, { validateChain })).toThrow(
      /chain\[0\]\.filters\[1\]\.output_chain: required/,
    );
    // The old spelling's errors name its own keys.
    const legacy = text.replace('chain:', 'endpoint:').replace('filters:', 'chain:');
    expect(() => parseConfig(legacy, { validateChain })).toThrow(
      /endpoint\[0\]\.chain\[1\]\.output_chain: required/,
    );
  });
});

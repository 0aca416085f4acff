import { describe, expect, it } from 'vitest';
import { filterCatalogue, filterMeta } from './catalogue.ts';
import { defaultChains } from './defaults.ts';
import { filterRegistry } from './registry.ts';
import { filterNames, validateChain, validateChainSet } from './schemas.ts';

describe('validateChain', () => {
  it('accepts the default chains of DESIGN.md §7 and fills defaults', () => {
    const chains = defaultChains();
    expect(Object.keys(chains)).toEqual([
      'smtp-mx',
      'smtp-mx-output',
      'smtp-msa',
      'smtp-msa-output',
      'submission',
      'sandbox',
    ]);
    for (const [name, chain] of Object.entries(chains)) {
      const r = validateChain(chain);
      expect(r.ok, name).toBe(true);
    }
    const r = validateChain(chains['smtp-mx']);
    if (!r.ok) throw new Error('invalid');
    expect(r.chain[1]).toMatchObject({
      filter: 'exploder',
      msa: false,
      rcpt_timeout: 30,
      data_timeout: 300,
    });
    expect(r.chain.map((e) => e.filter)).toEqual(['router', 'exploder']);
    expect(validateChain(chains.submission).ok && chains.submission!.map((e) => e.filter)).toEqual([
      'message_builder',
      'dkim_sign',
      'router',
      'dns_resolution',
      'rest_output',
    ]);
    expect(validateChainSet(chains).ok).toBe(true);
  });

  it('routes everything to the smarthost when one is given (KOUKAN_SMARTHOST)', () => {
    const chains = defaultChains({ smarthost: 'relay.internal:2525' });
    for (const name of ['submission', 'smtp-msa-output'] as const) {
      const filters = chains[name]!.map((e) => e.filter);
      expect(filters).not.toContain('dns_resolution');
      expect(chains[name]).toContainEqual({
        filter: 'router',
        policies: [{ type: 'smarthost', smarthost: 'relay.internal:2525' }],
      });
      expect(validateChain(chains[name]).ok).toBe(true);
    }
  });

  it('names the path of each offending key', () => {
    const r = validateChain([
      { filter: 'router', policies: [{ type: 'smarthost', smarthost: 'bad host!' }] },
      {
        filter: 'dkim_sign',
        keys: [
          { domain: 'example.com', selector: 's1', algorithm: 'rsa-md5', private_key_ref: 'x' },
        ],
      },
      { filter: 'rest_output', url: 'ftp://x', sender: 'out', colour: 'blue' },
      { filter: 'no_such_filter' },
      {
        filter: 'policy',
        rules: [{ match: { all: [{ not: { tls: 'yes' } }] }, action: 'reject' }],
      },
      { filter: 'sandbox', timeout: -1 },
      // ports the gateway's outbound API refuses
      {
        filter: 'dns_resolution',
        static_hosts: { 'x.test': ['relay.test:0', 'relay.test:70000'] },
      },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.errors.map((e) => e.path);
    expect(paths).toContainEqual([0, 'policies', 0, 'smarthost']);
    expect(paths).toContainEqual([1, 'keys', 0, 'algorithm']);
    expect(paths).toContainEqual([2, 'url']);
    expect(paths).toContainEqual([2, 'colour']);
    expect(paths).toContainEqual([3, 'filter']);
    expect(paths).toContainEqual([6, 'static_hosts', 'x.test', 0]);
    expect(paths).toContainEqual([6, 'static_hosts', 'x.test', 1]);
    // the nested all/not match points at the offending leaf, not at the union
    expect(paths).toContainEqual([4, 'rules', 0, 'match', 'all', 0, 'not', 'tls']);
    expect(paths).toContainEqual([5, 'timeout']);
    expect(r.errors.find((e) => e.path[1] === 'colour')?.message).toBe('unknown key "colour"');
  });

  it('rejects a DKIM key without a secret name', () => {
    const r = validateChain([
      { filter: 'dkim_sign', keys: [{ domain: 'example.com', selector: 's' }] },
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.path).toEqual([0, 'keys', 0, 'private_key_ref']);
  });

  it('refuses private keys and API keys written inline, saying where secrets go', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----';
    const r = validateChain([
      {
        filter: 'dkim_sign',
        keys: [{ domain: 'example.com', selector: 's', private_key: pem, private_key_ref: 'k' }],
      },
      { filter: 'rest_output', url: 'http://127.0.0.1:1', sender: 'o', api_key: 'kk_secret' },
      {
        filter: 'auth_check',
        arc_seal: { domain: 'example.com', selector: 'a', private_key: pem, private_key_ref: 'a' },
      },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual([
      [0, 'keys', 0, 'private_key'],
      [1, 'api_key'],
      [2, 'arc_seal', 'private_key'],
    ]);
    for (const e of r.errors) expect(e.message).toMatch(/inline secrets are refused.*secret set/);
    // the error never echoes the secret
    expect(JSON.stringify(r.errors)).not.toContain('MC4CAQ');
    expect(JSON.stringify(r.errors)).not.toContain('kk_secret');
  });

  it('lets dkim_sign go without keys (the sending domains sign)', () => {
    expect(validateChain([{ filter: 'dkim_sign' }]).ok).toBe(true);
  });

  it('rejects a non-array chain', () => {
    const r = validateChain({ filter: 'sandbox' });
    expect(r).toMatchObject({ ok: false, errors: [{ path: [] }] });
  });
});

describe('catalogue and registry', () => {
  it('has an implementation entry, a description and a valid example for every filter', () => {
    const cat = filterCatalogue();
    expect(cat.map((c) => c.name).sort()).toEqual([...filterNames].sort());
    for (const c of cat) {
      expect(filterRegistry[c.name].terminal).toBe(filterMeta[c.name].terminal);
      expect(validateChain([c.example]).ok, c.name).toBe(true);
      expect(c.jsonSchema).toHaveProperty('type', 'object');
      // JSON-friendly for the console
      expect(() => JSON.stringify(c.jsonSchema)).not.toThrow();
    }
    const policy = cat.find((c) => c.name === 'policy')!;
    expect(JSON.stringify(policy.jsonSchema)).toContain('client_cidr');
  });
});

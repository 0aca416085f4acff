import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { filterNames, validateChain } from './schemas.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every filter with a heading', () => {
    for (const name of filterNames) expect(readme).toContain(`### \`${name}\``);
  });

  it('has YAML examples that validate', () => {
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(filterNames.length);
    const seen = new Set<string>();
    for (const block of blocks) {
      const r = validateChain(parse(block));
      expect(r.ok ? [] : r.errors, block).toEqual([]);
      if (r.ok) for (const e of r.chain) seen.add(e.filter);
    }
    expect([...seen].sort()).toEqual([...filterNames].sort());
  });
});

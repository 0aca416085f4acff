import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse.ts';
import { ConfigError } from './schema.ts';

/** What parsing `text` throws. */
function thrownBy(text: string): unknown {
  try {
    parseConfig(text);
  } catch (e) {
    return e;
  }
}

/** What an admin's paste (or a stolen admin session) can throw at the configuration import. */
describe('hostile configuration files', () => {
  it('refuses an alias bomb ("billion laughs") with a ConfigError, not a crash', () => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    }
    expect(() => parseConfig(lines.join('\n'))).toThrow(ConfigError);
    expect(() => parseConfig(lines.join('\n'))).toThrow(/alias/i);
  });

  it('refuses deep nesting before parsing it, naming the line', () => {
    const text = `sender:\n  - name: x\n    description: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
    const err = thrownBy(text);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      { path: '', message: 'nested deeper than 64 levels at line 3' },
    ]);
  });

  it('does not count brackets inside quoted scalars or comments', () => {
    const brackets = '['.repeat(100);
    const text = `# ${brackets}\nsender:\n  - name: quoted\n    description: "${brackets}"\n  - name: single\n    description: '${brackets}'\n`;
    expect(parseConfig(text).sender.map((s) => s.description)).toEqual([brackets, brackets]);
  });

  it('reports the first 50 of thousands of issues, and how many more', () => {
    const text = `sender:\n${'  - name: same\n'.repeat(2000)}`;
    const err = thrownBy(text) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues).toHaveLength(51);
    expect(err.issues[0]).toEqual({ path: 'sender[1].name', message: 'duplicate name "same"' });
    expect(err.issues[50]).toEqual({ path: '', message: '… and 1949 more issues' });
  });
});

import { describe, expect, it } from 'vitest';
import { DataInspector, type InspectorLimits } from './data-inspector.ts';

const limits: InspectorLimits = {
  maxBytes: 10_000,
  maxLineBytes: 998,
  maxHeaderBytes: 1000,
  forbidBareNewline: true,
};

function inspect(parts: string[], l: InspectorLimits = limits) {
  const inspector = new DataInspector(l);
  for (const p of parts) {
    const v = inspector.feed(Buffer.from(p, 'binary'));
    if (v) return v.reason;
  }
  return inspector.end()?.reason;
}

describe('DataInspector', () => {
  it('accepts a clean CRLF message, whatever the chunking', () => {
    const msg = 'Subject: hi\r\n\r\nline one\r\n.. dot\r\n';
    expect(inspect([msg])).toBeUndefined();
    expect(inspect(msg.split(''))).toBeUndefined();
  });

  it.each([
    ['bare LF', ['a\nb\r\n'], 'bare_lf'],
    ['bare LF at start', ['\nb\r\n'], 'bare_lf'],
    ['bare CR', ['a\rb\r\n'], 'bare_cr'],
    ['bare CR at a chunk edge', ['a\r', 'b\r\n'], 'bare_cr'],
    ['CR at the very end', ['a\r\nb\r'], 'bare_cr'],
    ['NUL', ['a\x00b\r\n'], 'nul'],
    ['smuggled \\n.\\n', ['x\r\n\n.\nMAIL FROM:<a@b>\r\n'], 'bare_lf'],
    ['smuggled \\r.\\r', ['x\r\n\r.\rMAIL FROM:<a@b>\r\n'], 'bare_cr'],
  ])('refuses %s', (_name, parts, reason) => {
    expect(inspect(parts)).toBe(reason);
  });

  it('CRLF split across chunks is fine', () => {
    expect(inspect(['a\r', '\nb\r', '\n'])).toBeUndefined();
  });

  it('passes bare newlines through when told to', () => {
    expect(inspect(['a\nb\rc\x00\r\n'], { ...limits, forbidBareNewline: false })).toBeUndefined();
  });

  it('limits line length (CRLF excluded)', () => {
    expect(inspect([`${'x'.repeat(998)}\r\n`])).toBeUndefined();
    expect(inspect([`${'x'.repeat(999)}\r\n`])).toBe('line_too_long');
  });

  it('limits the header section but not the body', () => {
    const header = `${Array.from({ length: 20 }, (_, i) => `X-H${i}: ${'v'.repeat(60)}`).join('\r\n')}\r\n`;
    expect(inspect([header, '\r\nbody\r\n'])).toBe('header_too_large');
    const body = `${'b'.repeat(80)}\r\n`.repeat(50);
    expect(inspect(['S: x\r\n\r\n', body])).toBeUndefined();
  });

  it('limits the size', () => {
    expect(inspect(['S: x\r\n\r\n', `${'b'.repeat(98)}\r\n`.repeat(101)])).toBe('too_big');
  });
});

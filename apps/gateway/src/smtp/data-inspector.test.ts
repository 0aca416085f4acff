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

describe('DataInspector on whole chunks (the body is skipped line by line)', () => {
  const header = 'Received: from a\r\nSubject: hi\r\n\r\n';
  const line = (n: number) => `${'b'.repeat(n)}\r\n`;
  const cases: [string, string][] = [
    ['clean', header + line(76).repeat(40)],
    ['longest line', header + line(998) + line(10)],
    ['line one too long', header + line(10) + line(999)],
    ['bare LF in the body', `${header}${line(10)}abc\ndef\r\n`],
    ['bare LF at a line start', `${header}${line(10)}\nx\r\n`],
    ['bare CR in the body', `${header}${line(10)}ab\rcd\r\n`],
    ['CR CR LF', `${header}${line(10)}ab\r\r\n`],
    ['NUL in the body', `${header}${line(10)}a\x00b\r\n`],
    ['NUL after a long line', `${header}${line(999)}a\x00\r\n`],
    ['partial last line', `${header}${line(10)}tail`],
    ['CR at the end', `${header}${line(10)}tail\r`],
    ['smuggling', `${header}x\r\n\n.\nMAIL FROM:<a@b>\r\n`],
    ['empty body lines', `${header}\r\n\r\n\r\n`],
  ];
  it.each(cases)('%s: the same verdict as byte by byte', (_name, msg) => {
    const byByte = inspect(msg.split(''));
    expect(inspect([msg])).toBe(byByte);
    for (const at of [1, 7, header.length, header.length + 5, msg.length - 2]) {
      expect(inspect([msg.slice(0, at), msg.slice(at)])).toBe(byByte);
    }
  });

  it('finds what the byte loop finds where it does', () => {
    expect(inspect([`${header}${line(10)}a\x00b\r\n`])).toBe('nul');
    expect(inspect([`${header}${line(999)}a\x00\r\n`])).toBe('line_too_long');
    expect(inspect([`${header}ab\rcd\r\n`])).toBe('bare_cr');
    expect(inspect([`${header}ab\ncd\r\n`])).toBe('bare_lf');
    expect(inspect([`${header}${line(10)}tail\r`])).toBe('bare_cr');
    expect(inspect([header + line(998)])).toBeUndefined();
  });
});

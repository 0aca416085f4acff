import { describe, expect, it } from 'vitest';
import { isValidEsmtpValue, isValidMailbox, mailboxProblem } from './address.ts';

describe('mailbox validation', () => {
  it.each([
    'a@example.org',
    'first.last+tag@sub.example.org',
    "o'hara!#$%&*=?^_`{|}~-@example.org",
    '"john doe"@example.org',
    '"a\\"b"@example.org',
    'δοκιμή@παράδειγμα.δοκιμή',
    '用户@例子.广告',
    'user@[192.0.2.1]',
    'user@[IPv6:2001:db8::1]',
    'postmaster@localhost',
  ])('accepts %s', (a) => {
    expect(mailboxProblem(a)).toBeNull();
  });

  it.each([
    ['', 'form'],
    ['b@example.org\r\nBcc: x@evil.test', 'control'],
    ['b@example.org\nx', 'control'],
    ['b\u0000@example.org', 'control'],
    ['a@example.org,b@example.org', 'comma'],
    ['"a,b"@example.org', 'comma'],
    ['Bob <bob@example.org>', 'angle'],
    ['<bob@example.org>', 'angle'],
    ['bob @example.org', 'local part'],
    ['bob', 'form'],
    ['@example.org', 'form'],
    ['bob@', 'domain is empty'],
    ['a..b@example.org', 'local part'],
    ['.a@example.org', 'local part'],
    ['a@-example.org', 'label'],
    ['a@example..org', 'label'],
    ['a@[300.1.1.1]', 'IPv4'],
    ['a@[IPv6:zz]', 'IPv6'],
    [`${'x'.repeat(65)}@example.org`, '64 octets'],
    ['a(comment)@example.org', 'local part'],
    ['a@exa mple.org', 'label'],
  ])('refuses %j', (a, why) => {
    expect(mailboxProblem(a)).toContain(why);
    expect(isValidMailbox(a)).toBe(false);
  });

  it('checks ESMTP values', () => {
    expect(isValidEsmtpValue('FULL')).toBe(true);
    expect(isValidEsmtpValue('rfc822;a@example.org')).toBe(true);
    expect(isValidEsmtpValue('a b')).toBe(false);
    expect(isValidEsmtpValue('a=b')).toBe(false);
    expect(isValidEsmtpValue('x\r\nRCPT TO:<e@evil.test>')).toBe(false);
  });
});

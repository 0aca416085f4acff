import { describe, expect, it } from 'vitest';
import { readHeaders, streamToBuffer } from '../body.ts';
import { runChain } from '../chain.ts';
import { accept } from '../responses.ts';
import { chainOf, testContext, testTx } from '../test-helpers.ts';

const chain = () => chainOf([{ filter: 'received_header', hostname: 'mx.koukan.test' }]);
const now = () => new Date('2026-11-30T10:20:30Z');

describe('received_header', () => {
  it('writes an RFC 5321 trace line with TLS and AUTH details', async () => {
    const tx = testTx({
      id: 'tx-42',
      session: {
        remote_ip: '192.0.2.10',
        remote_host: 'client.example.com',
        helo: 'laptop.example.com',
        tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256 },
        auth: { user: 'alice' },
      },
    });
    const original = (await streamToBuffer(tx.body!.open())).toString();
    await runChain(chain(), tx, testContext({ now }), { endOfChain: accept() });
    const raw = (await streamToBuffer(tx.body!.open())).toString();
    expect(raw).toBe(
      [
        'Received: from laptop.example.com (client.example.com [192.0.2.10])',
        '\tby mx.koukan.test (Koukan) with ESMTPSA',
        '\t(TLSv1.3 TLS_AES_256_GCM_SHA384 256 bits)',
        '\t(authenticated as alice)',
        '\tid tx-42',
        '\tfor <bob@example.net>; Mon, 30 Nov 2026 10:20:30 +0000',
        '',
      ].join('\r\n') + original,
    );
    const headers = await readHeaders(tx.body!);
    expect(headers[0]!.name).toBe('Received');
    expect(headers[0]!.value).toMatch(
      /^from laptop\.example\.com .* with ESMTPSA .*; Mon, 30 Nov 2026/,
    );
  });

  it('omits `for` with several recipients and says ESMTP without TLS/AUTH; strips line breaks', async () => {
    const tx = testTx({
      rcpt_to: [{ m: 'a@x.test' }, { m: 'b@x.test' }],
      session: { remote_ip: '198.51.100.1', helo: 'evil\r\nX-Injected: yes' },
    });
    await runChain(chain(), tx, testContext({ now }), { endOfChain: accept() });
    const headers = await readHeaders(tx.body!);
    expect(headers[0]!.value).toMatch(/ with ESMTP id /);
    expect(headers[0]!.value).not.toContain(' for ');
    expect(headers.some((h) => h.name === 'X-Injected')).toBe(false);
  });

  it('escapes every field an attacker could reach (issue 10 item 5): remote_ip, protocol, TLS, AUTH, rcpt', async () => {
    const tx = testTx({
      id: 'tx-7',
      rcpt_to: [{ m: 'bob@example.net>\r\nX-Rcpt: 1' }],
      session: {
        remote_ip: '192.0.2.1]\r\nX-Ip: 1',
        protocol: 'ESMTP\r\nX-Proto: 1',
        helo: 'a(b)c\u0000d',
        tls: { protocol: 'TLSv1.3)\r\nX-Tls: 1', cipher: 'C' },
        auth: { user: 'eve)\nX-Auth: 1' },
      },
    });
    await runChain(chain(), tx, testContext({ now }), { endOfChain: accept() });
    const raw = (await streamToBuffer(tx.body!.open())).toString();
    const received = raw.slice(0, raw.indexOf('\r\n', raw.indexOf('; Mon')));
    // one folded header field: every line after the first starts with a TAB
    for (const line of received.split('\r\n').slice(1)) expect(line).toMatch(/^\t/);
    const headers = await readHeaders(tx.body!);
    expect(headers.filter((h) => /^X-/.test(h.name))).toEqual([]);
    expect(raw).not.toMatch(/\r\nX-(Ip|Proto|Tls|Auth|Rcpt):/);
    // a forged remote_ip is no address: no TCP-info; a bad protocol falls back to the derived one
    expect(received).toContain('from a b c d\r\n');
    expect(received).toContain('with ESMTPSA');
    expect(received).toContain('(TLSv1.3 X-Tls: 1 C)');
    expect(received).toContain('(authenticated as eve X-Auth: 1)');
    expect(received).toContain('for <bob@example.net X-Rcpt: 1>;');
  });

  it('writes an IPv6 client as [IPv6:…]', async () => {
    const tx = testTx({ session: { remote_ip: '2001:db8::25', helo: '[IPv6:2001:db8::25]' } });
    await runChain(chain(), tx, testContext({ now }), { endOfChain: accept() });
    const headers = await readHeaders(tx.body!);
    expect(headers[0]!.value).toMatch(/^from \[IPv6:2001:db8::25\] \(\[IPv6:2001:db8::25\]\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { SAMPLE_MESSAGE } from '../testing/fixtures.ts';
import { buildDsn, type DsnInput } from './dsn.ts';
import { mailparserStatus } from './testing/mailparser-status.ts';
import { parseWithPython } from './testing/python-parse.ts';

const original = Buffer.from(SAMPLE_MESSAGE);
const base: DsnInput = {
  reportingMta: 'mx.koukan.test',
  mailerDaemon: 'MAILER-DAEMON@koukan.test',
  to: 'alice@example.com',
  recipients: [],
  arrivalDate: new Date('2030-05-01T11:00:00Z'),
  date: new Date('2030-05-01T12:00:00Z'),
  reason: 'upstream_permanent_failure_rcpt',
};

describe('buildDsn (RFC 3464, nodemailer MIME builder)', () => {
  it('a failure report round-trips through mailparser and Python email with every field', async () => {
    const longDiag = `<nobody@example.net>: Recipient address rejected: ${'unknown user '.repeat(8)}`;
    const raw = await buildDsn({
      ...base,
      envid: 'order-4711=x+y',
      recipients: [
        {
          address: 'nobody@example.net',
          action: 'failed',
          original: { type: 'rfc822', address: 'Nobody@Example.NET' },
          response: { code: 550, enhanced: '5.1.1', message: longDiag.trim() },
          remoteMta: 'mx1.example.net',
          lastAttemptDate: base.date,
        },
      ],
      returned: { headers: original.subarray(0, original.indexOf('\r\n\r\n')) },
    });
    const text = raw.toString('latin1');
    // header fields are folded: no line longer than 78 characters
    expect(text.split('\r\n').every((l) => l.length <= 78)).toBe(true);

    const { mail, byType, blocks } = await mailparserStatus(raw);
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    const ct = mail.headers.get('content-type') as {
      value: string;
      params: Record<string, string>;
    };
    expect(ct.value).toBe('multipart/report');
    expect(ct.params['report-type']).toBe('delivery-status');
    expect(blocks[0]).toEqual({
      'Reporting-MTA': 'dns; mx.koukan.test',
      'Original-Envelope-Id': 'order-4711=x+y',
      'Arrival-Date': 'Wed, 01 May 2030 11:00:00 +0000',
    });
    expect(blocks[1]).toEqual({
      'Original-Recipient': 'rfc822; Nobody@Example.NET',
      'Final-Recipient': 'rfc822; nobody@example.net',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx1.example.net',
      'Diagnostic-Code': `smtp; 550 5.1.1 ${longDiag.trim()}`,
      'Last-Attempt-Date': 'Wed, 01 May 2030 12:00:00 +0000',
    });
    expect(byType.get('text/rfc822-headers')).toContain('Subject: Quarterly report');
    expect(byType.get('text/rfc822-headers')).not.toContain('The numbers are in.');

    const py = parseWithPython(raw);
    expect(py.defects).toEqual([]);
    expect(py.content_type).toBe('multipart/report');
    expect(py.report_type).toBe('delivery-status');
    expect(py.parts).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    expect(py.status).toEqual(blocks);
    expect(py.returned_headers).toContain('Message-ID: <q3-report@example.com>');
    expect(py.text).toContain('<nobody@example.net>: 550 5.1.1');
  });

  it('a delay report says delayed, 4.x.x, and until when it is retried; no envelope id without ENVID', async () => {
    const raw = await buildDsn({
      ...base,
      recipients: [
        {
          address: 'slow@example.net',
          action: 'delayed',
          response: { code: 451, enhanced: '4.7.1', message: 'greylisted, try later' },
          lastAttemptDate: base.date,
          willRetryUntil: new Date('2030-05-06T11:00:00Z'),
        },
      ],
    });
    const { mail, blocks } = await mailparserStatus(raw);
    expect(mail.subject).toBe('Delayed Mail (still being retried)');
    expect(blocks[0]).not.toHaveProperty('Original-Envelope-Id');
    expect(blocks[1]).toMatchObject({
      Action: 'delayed',
      Status: '4.7.1',
      'Will-Retry-Until': 'Mon, 06 May 2030 11:00:00 +0000',
    });
    expect(blocks[1]).not.toHaveProperty('Original-Recipient');
    const py = parseWithPython(raw);
    expect(py.status[1]).toMatchObject({
      Action: 'delayed',
      'Will-Retry-Until': blocks[1]!['Will-Retry-Until'],
    });
    expect(py.parts).toEqual(['text/plain', 'message/delivery-status']);
  });

  it('RET=FULL returns the whole message as message/rfc822', async () => {
    const raw = await buildDsn({
      ...base,
      recipients: [
        { address: 'nobody@example.net', action: 'failed', error: 'connection refused' },
      ],
      returned: { message: original },
    });
    const { byType, blocks } = await mailparserStatus(raw);
    expect(blocks[1]).toMatchObject({
      Status: '4.0.0',
      'Diagnostic-Code': 'x-koukan; connection refused',
    });
    expect([...byType.keys()]).toContain('message/rfc822');
    const py = parseWithPython(raw);
    expect(py.parts).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(py.returned_message?.subject).toBe('Quarterly report');
    expect(py.returned_message?.body.replace(/\r\n/g, '\n')).toBe('The numbers are in.\n');
  });

  it('encodes what is not ASCII: the Subject of the original stays intact, status fields are escaped', async () => {
    const raw = await buildDsn({
      ...base,
      to: 'alice@example.com',
      recipients: [
        {
          address: 'jörg@example.net',
          action: 'delivered',
          response: {
            code: 250,
            enhanced: '2.0.0',
            message: 'Ok: queued as ÄBC\r\nX-Injected: yes',
          },
        },
      ],
      returned: { headers: Buffer.from('Subject: Grüße\r\nFrom: a@example.com') },
    });
    // 7-bit report fields, no header injection through a reply text
    const { mail, blocks } = await mailparserStatus(raw);
    expect(mail.subject).toBe('Successful Mail Delivery Report');
    expect(blocks[1]).toMatchObject({
      Action: 'delivered',
      Status: '2.0.0',
      'Final-Recipient': 'rfc822; j\\x{F6}rg@example.net',
      'Diagnostic-Code': 'smtp; 250 2.0.0 Ok: queued as \\x{C4}BC X-Injected: yes',
    });
    expect(blocks[1]).not.toHaveProperty('X-Injected');
    const py = parseWithPython(raw);
    expect(py.defects).toEqual([]);
    expect(py.returned_headers).toContain('Subject: Grüße');
    expect(py.status[1]).not.toHaveProperty('X-Injected');
  });
});

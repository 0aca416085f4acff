import { describe, expect, it } from 'vitest';
import { mapReplies, needsSmtpUtf8, toSendEnvelope } from './deliver.ts';
import { parseReply } from './upstream.ts';

const r = (s: string) => parseReply(s);

describe('mapReplies', () => {
  it('maps MAIL, RCPT, DATA and the final reply in order', () => {
    const out = mapReplies(
      { replies: [r('250 ok'), r('250 a'), r('550 5.1.1 no'), r('354 go'), r('250 2.0.0 queued')] },
      2,
      false,
    );
    expect(out.mail_response).toEqual({ code: 250, message: 'ok' });
    expect(out.rcpt_response).toEqual([
      { code: 250, message: 'a' },
      { code: 550, enhanced: '5.1.1', message: 'no' },
    ]);
    expect(out.data_response).toEqual({ code: 250, enhanced: '2.0.0', message: 'queued' });
  });

  it('stops at a MAIL failure and at all recipients refused', () => {
    expect(mapReplies({ replies: [r('451 later')] }, 1, false)).toMatchObject({
      mail_response: { code: 451 },
      rcpt_response: [null],
      data_response: null,
    });
    expect(mapReplies({ replies: [r('250 ok'), r('550 no')] }, 1, false).data_response).toBeNull();
  });

  it('a reply that never came is a temporary failure', () => {
    const out = mapReplies(
      { replies: [r('250 ok'), r('250 a'), r('354 go')], error: new Error('Connection closed') },
      1,
      false,
    );
    expect(out.data_response?.code).toBe(451);
    expect(mapReplies({ replies: [], error: new Error('x') }, 1, false).mail_response?.code).toBe(
      451,
    );
  });

  it('LMTP: one final reply per accepted recipient', () => {
    const out = mapReplies(
      {
        replies: [
          r('250 ok'),
          r('250 a'),
          r('550 b'),
          r('250 c'),
          r('354 go'),
          r('250 A'),
          r('452 C'),
        ],
      },
      3,
      true,
    );
    expect(out.rcpt_data_response).toEqual([
      { code: 250, message: 'A' },
      null,
      { code: 452, message: 'C' },
    ]);
    expect(out.rcpt_response).toEqual([
      { code: 250, message: 'a' },
      { code: 550, message: 'b' },
      { code: 452, message: 'C' },
    ]);
    expect(out.data_response).toEqual({ code: 250, message: 'A' });
  });

  it('parses multi-line replies', () => {
    expect(r('250-first\n250 last')).toEqual({ code: 250, message: 'first\nlast' });
  });

  it('takes the enhanced status code apart, once, from every line that repeats it', () => {
    expect(r('452-4.2.2 mailbox full\n452 4.2.2 try later')).toEqual({
      code: 452,
      enhanced: '4.2.2',
      message: 'mailbox full\ntry later',
    });
    expect(r('550 5.1.1')).toEqual({ code: 550, enhanced: '5.1.1', message: '' });
    // not an enhanced code: a version number, or one glued to the text
    expect(r('250 1.2.3 ok')).toEqual({ code: 250, message: '1.2.3 ok' });
    expect(r('550 5.1.1x no')).toEqual({ code: 550, message: '5.1.1x no' });
  });
});

describe('toSendEnvelope', () => {
  it('carries DSN, SIZE and 8BITMIME where nodemailer can express them', () => {
    const env = toSendEnvelope(
      {
        mail_from: {
          m: 'a@b',
          e: [
            { k: 'RET', p: 'HDRS' },
            { k: 'ENVID', p: 'x1' },
          ],
        },
        rcpt_to: [
          {
            m: 'c@d',
            e: [
              { k: 'NOTIFY', p: 'SUCCESS,FAILURE' },
              { k: 'ORCPT', p: 'rfc822;c@d' },
            ],
          },
        ],
        remote_hosts: [],
        lmtp: false,
      },
      1234,
    );
    expect(env).toMatchObject({
      from: 'a@b',
      to: ['c@d'],
      size: 1234,
      use8BitMime: true,
      dsn: { ret: 'HDRS', envid: 'x1', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;c@d' },
    });
  });

  it('declares 8BITMIME unless the sender said BODY=7BIT, and SIZE only when known', () => {
    const env = (e?: { k: string; p: string }[]) =>
      toSendEnvelope(
        { mail_from: { m: 'a@b', e }, rcpt_to: [{ m: 'c@d' }], remote_hosts: [], lmtp: false },
        undefined,
      );
    expect(env()).toEqual({ from: 'a@b', to: ['c@d'], use8BitMime: true });
    expect(env([{ k: 'BODY', p: '7BIT' }]).use8BitMime).toBe(false);
  });
});

describe('needsSmtpUtf8', () => {
  const env = (from: string, to: string[], e?: { k: string; p?: string }[]) => ({
    mail_from: { m: from, ...(e && { e }) },
    rcpt_to: to.map((m) => ({ m })),
    remote_hosts: [],
    lmtp: false,
  });
  it('is needed for a non-ASCII address or when the client asked for SMTPUTF8', () => {
    expect(needsSmtpUtf8(env('a@example.org', ['b@example.net']))).toBe(false);
    expect(needsSmtpUtf8(env('jösé@example.org', ['b@example.net']))).toBe(true);
    expect(needsSmtpUtf8(env('a@example.org', ['b@example.net', '用户@例子.广告']))).toBe(true);
    expect(needsSmtpUtf8(env('a@example.org', ['😀@example.net']))).toBe(true);
    expect(needsSmtpUtf8(env('a@example.org', ['b@x.net'], [{ k: 'smtputf8' }]))).toBe(true);
  });
});

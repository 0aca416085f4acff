import {
  claimTransactions,
  getTransaction,
  listEvents,
  readBlob,
  updateTransaction,
} from '@koukan/db';
import type { Mailbox } from '@koukan/db/schema';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { recordAttemptOutcome } from '../delivery/record-outcome.ts';
import type { AttemptVerdict } from '../delivery/verdict.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { parseWithPython } from './testing/python-parse.ts';

/** RFC 3461 honoured at the outcome: NOTIFY, ORCPT, ENVID, RET; delay and success DSNs. */
const { t, ctx } = useTestDatabase('system:engine');
const OWNER = '33333333-3333-4333-8333-333333333333';
const dsnOptions = { reportingMta: 'mx.koukan.test' };
const rejected: AttemptVerdict = {
  upstreamHost: 'mx.example.net',
  mailResponse: { code: 250, enhanced: '2.1.0', message: 'ok' },
  rcptResponse: [{ code: 550, enhanced: '5.1.1', message: 'no such user' }],
};
const greylisted: AttemptVerdict = {
  upstreamHost: 'mx.example.net',
  mailResponse: { code: 250, enhanced: '2.1.0', message: 'ok' },
  rcptResponse: [{ code: 451, enhanced: '4.7.1', message: 'greylisted' }],
};
const delivered: AttemptVerdict = {
  upstreamHost: 'mx.example.net',
  mailResponse: { code: 250, enhanced: '2.1.0', message: 'ok' },
  rcptResponse: [{ code: 250, enhanced: '2.1.5', message: 'ok' }],
  dataResponse: { code: 250, enhanced: '2.0.0', message: 'queued as 42' },
};
const retry = { schedule: ['10m'], max_age: '5d' };

async function setup(notification: Record<string, unknown>, mailFrom: Mailbox, rcpt: Mailbox) {
  const s = await makeSender(t.db, { notification: { enabled: true, ...notification }, retry });
  const tx = await makeTransaction(t.db, s.id, { mailFrom, rcptTo: [rcpt] });
  return { s, tx };
}

async function attempt(
  s: Awaited<ReturnType<typeof setup>>['s'],
  id: string,
  verdict: AttemptVerdict,
  now: Date,
) {
  // due now, whatever the previous attempt scheduled (the test's clock is not the database's)
  await updateTransaction(t.db, id, { nextAttemptAt: new Date(Date.now() - 1000) });
  const [c] = await claimTransactions(t.db, { owner: OWNER, leaseMs: 60_000, limit: 1, id });
  if (!c) throw new Error('not claimed');
  const r = await recordAttemptOutcome({
    ctx: { ...ctx, now: () => now },
    input: {
      transactionId: id,
      attemptId: c.attempt.id,
      owner: OWNER,
      claimed: c.transaction,
      verdict,
      senderRetry: s.retry,
      senderNotification: s.notification,
      dsn: dsnOptions,
    },
  });
  if (!r.written) throw new Error('not written');
  return r;
}

async function dsnBody(dsnId: string) {
  const d = (await getTransaction(t.db, dsnId))!;
  return { row: d, raw: await readBlob(t.db, d.bodyBlobId!) };
}

describe('failure DSN honours NOTIFY, ORCPT, ENVID and RET', () => {
  it('reports ENVID and ORCPT as given, and returns the full message for RET=FULL', async () => {
    const { s, tx } = await setup(
      {},
      {
        m: 'alice@example.com',
        e: [
          { k: 'RET', p: 'FULL' },
          { k: 'ENVID', p: 'QQ314159' },
        ],
      },
      {
        m: 'nobody@example.net',
        e: [
          { k: 'NOTIFY', p: 'FAILURE' },
          { k: 'ORCPT', p: 'rfc822;Nobody@Example.NET' },
        ],
      },
    );
    const r = await attempt(s, tx.id, rejected, new Date());
    expect(r.dsn).toMatchObject({ created: true, kind: 'failure', recipients: 1 });
    const { row, raw } = await dsnBody(r.dsn?.created ? r.dsn.dsnId : '');
    expect(row).toMatchObject({ mailFrom: { m: '' }, rcptTo: [{ m: 'alice@example.com' }] });
    const py = parseWithPython(raw);
    expect(py.defects).toEqual([]);
    expect(py.status[0]).toMatchObject({
      'Reporting-MTA': 'dns; mx.koukan.test',
      'Original-Envelope-Id': 'QQ314159',
    });
    expect(py.status[1]).toMatchObject({
      'Original-Recipient': 'rfc822; Nobody@Example.NET',
      'Final-Recipient': 'rfc822; nobody@example.net',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx.example.net',
      'Diagnostic-Code': 'smtp; 550 5.1.1 no such user',
    });
    expect(py.parts.at(-1)).toBe('message/rfc822');
    expect(py.returned_message?.subject).toBe('Quarterly report');
    const mail = await simpleParser(raw, { keepDeliveryStatus: true });
    expect(mail.attachments.map((a) => a.contentType)).toEqual([
      'message/delivery-status',
      'message/rfc822',
    ]);
  });

  it('the Message-ID never stands in for a missing ENVID', async () => {
    const { s, tx } = await setup({}, { m: 'alice@example.com' }, { m: 'nobody@example.net' });
    const r = await attempt(s, tx.id, rejected, new Date());
    const { raw } = await dsnBody(r.dsn?.created ? r.dsn.dsnId : '');
    const py = parseWithPython(raw);
    expect(py.status[0]).not.toHaveProperty('Original-Envelope-Id');
    expect(raw.toString()).not.toContain('Original-Envelope-Id');
    expect(py.parts.at(-1)).toBe('text/rfc822-headers'); // no RET: headers only
  });

  it('NOTIFY=NEVER and NOTIFY=SUCCESS,DELAY get no failure DSN', async () => {
    for (const notify of ['NEVER', 'SUCCESS,DELAY']) {
      const { s, tx } = await setup(
        {},
        { m: 'alice@example.com' },
        { m: 'nobody@example.net', e: [{ k: 'NOTIFY', p: notify }] },
      );
      const r = await attempt(s, tx.id, rejected, new Date());
      expect(r.next.status).toBe('failed');
      expect(r.dsn).toEqual({ created: false, reason: 'not_requested' });
      const events = await listEvents(t.db, tx.id);
      expect(events.map((e) => e.type)).not.toContain('dsn_sent');
    }
  });
});

describe('delay DSN', () => {
  it('is sent once, after the policy wait, only when NOTIFY has DELAY', async () => {
    const { s, tx } = await setup(
      { delay_after: '1h' },
      { m: 'alice@example.com', e: [{ k: 'ENVID', p: 'env-1' }] },
      { m: 'slow@example.net', e: [{ k: 'NOTIFY', p: 'FAILURE,DELAY' }] },
    );
    const created = tx.createdAt.getTime();
    // before the wait: retried, no DSN
    const early = await attempt(s, tx.id, greylisted, new Date(created + 10 * 60_000));
    expect(early.next.status).toBe('queued');
    expect(early.dsn).toBeUndefined();
    // past the wait: one delay DSN
    const late = await attempt(s, tx.id, greylisted, new Date(created + 2 * 3_600_000));
    expect(late.next.status).toBe('queued');
    expect(late.dsn).toMatchObject({ created: true, kind: 'delay' });
    expect(late.transaction.delayDsnAt).not.toBeNull();
    const { raw } = await dsnBody(late.dsn?.created ? late.dsn.dsnId : '');
    const py = parseWithPython(raw);
    expect(py.status[0]).toMatchObject({ 'Original-Envelope-Id': 'env-1' });
    expect(py.status[1]).toMatchObject({
      Action: 'delayed',
      Status: '4.7.1',
      'Will-Retry-Until': new Date(created + 5 * 86_400_000).toUTCString().replace('GMT', '+0000'),
    });
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Delayed Mail (still being retried)');
    // and never again for this transaction
    const later = await attempt(s, tx.id, greylisted, new Date(created + 5 * 3_600_000));
    expect(later.dsn).toBeUndefined();
    const sent = (await listEvents(t.db, tx.id)).filter((e) => e.type === 'dsn_sent');
    expect(sent).toHaveLength(1);
  });

  it('is not sent without DELAY in NOTIFY (absent NOTIFY: only if the policy says so)', async () => {
    const when = (tx: { createdAt: Date }) => new Date(tx.createdAt.getTime() + 5 * 3_600_000);
    const a = await setup(
      { delay_after: '1h' },
      { m: 'alice@example.com' },
      { m: 'slow@example.net', e: [{ k: 'NOTIFY', p: 'FAILURE' }] },
    );
    expect((await attempt(a.s, a.tx.id, greylisted, when(a.tx))).dsn).toBeUndefined();
    const b = await setup(
      { delay_after: '1h' },
      { m: 'alice@example.com' },
      { m: 'x@example.net' },
    );
    expect((await attempt(b.s, b.tx.id, greylisted, when(b.tx))).dsn).toBeUndefined();
    const c = await setup(
      { delay_after: '1h', delay_without_notify: true },
      { m: 'alice@example.com' },
      { m: 'x@example.net' },
    );
    expect((await attempt(c.s, c.tx.id, greylisted, when(c.tx))).dsn).toMatchObject({
      created: true,
      kind: 'delay',
    });
    const nul = await setup(
      { delay_after: '1h' },
      { m: '' },
      { m: 'x@example.net', e: [{ k: 'NOTIFY', p: 'DELAY' }] },
    );
    expect((await attempt(nul.s, nul.tx.id, greylisted, when(nul.tx))).dsn).toBeUndefined();
  });
});

describe('success DSN', () => {
  it('is sent for NOTIFY=SUCCESS only', async () => {
    const a = await setup(
      {},
      { m: 'alice@example.com' },
      {
        m: 'bob@example.net',
        e: [
          { k: 'NOTIFY', p: 'SUCCESS' },
          { k: 'ORCPT', p: 'rfc822;bob@example.net' },
        ],
      },
    );
    const r = await attempt(a.s, a.tx.id, delivered, new Date());
    expect(r.next.status).toBe('delivered');
    expect(r.dsn).toMatchObject({ created: true, kind: 'success' });
    const { raw } = await dsnBody(r.dsn?.created ? r.dsn.dsnId : '');
    const py = parseWithPython(raw);
    expect(py.status[1]).toMatchObject({
      'Original-Recipient': 'rfc822; bob@example.net',
      Action: 'delivered',
      Status: '2.0.0',
      'Diagnostic-Code': 'smtp; 250 2.0.0 queued as 42',
    });
    expect(py.parts.at(-1)).toBe('text/rfc822-headers');

    const b = await setup({}, { m: 'alice@example.com' }, { m: 'bob@example.net' });
    const quiet = await attempt(b.s, b.tx.id, delivered, new Date());
    expect(quiet.next.status).toBe('delivered');
    expect(quiet.dsn).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { expect400, MESSAGE, routerSuite } from '../testing/harness.ts';

/** RFC 3461 options on the REST API: `dsn: {ret, envid}` and per recipient `notify`, `orcpt`. */
const { router, sender } = routerSuite();

const base = { mail_from: { m: 'a@example.org' }, body: { inline: MESSAGE } };

describe('DSN options on POST /v1/senders/{sender}/transactions', () => {
  it('are stored as the ESMTP parameters the SMTP gateway would send', async () => {
    const s = await sender();
    const res = await s.create({
      ...base,
      dsn: { ret: 'HDRS', envid: 'order 4711=a+b' },
      rcpt_to: [
        { m: 'b@example.org', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;B@example.org' },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.mail_from).toEqual({
      m: 'a@example.org',
      e: [
        { k: 'RET', p: 'HDRS' },
        { k: 'ENVID', p: 'order 4711=a+b' },
      ],
    });
    expect(res.json.rcpt_to).toEqual([
      {
        m: 'b@example.org',
        e: [
          { k: 'NOTIFY', p: 'FAILURE,DELAY' },
          { k: 'ORCPT', p: 'rfc822;B@example.org' },
        ],
      },
    ]);
    const again = await s.api('GET', `/v1/transactions/${res.json.id}`);
    expect(again.json.rcpt_to).toEqual(res.json.rcpt_to);
    expect(again.json.mail_from).toEqual(res.json.mail_from);
    const never = await s.create({ ...base, rcpt_to: [{ m: 'c@example.org', notify: ['NEVER'] }] });
    expect(never.json.rcpt_to).toEqual([{ m: 'c@example.org', e: [{ k: 'NOTIFY', p: 'NEVER' }] }]);
    const asParam = await s.create({
      ...base,
      rcpt_to: [{ m: 'd@example.org', e: [{ k: 'NOTIFY', p: 'SUCCESS' }] }],
    });
    expect(asParam.json.rcpt_to).toEqual([
      { m: 'd@example.org', e: [{ k: 'NOTIFY', p: 'SUCCESS' }] },
    ]);
  });

  it('bad values are a 400 naming the field', async () => {
    const s = await sender();
    const rcpt = (extra: Record<string, unknown>) => ({
      ...base,
      rcpt_to: [{ m: 'b@example.org', ...extra }],
    });
    expect400(
      await s.create(rcpt({ notify: ['NEVER', 'FAILURE'] })),
      'body.rcpt_to[0].notify',
      /NEVER/,
    );
    expect400(await s.create(rcpt({ notify: ['SOMETIMES'] })), 'body.rcpt_to[0].notify[0]');
    expect400(await s.create(rcpt({ notify: [] })), 'body.rcpt_to[0].notify');
    expect400(
      await s.create(rcpt({ orcpt: 'bob@example.org' })),
      'body.rcpt_to[0].orcpt',
      /addr-type/,
    );
    expect400(
      await s.create(rcpt({ orcpt: 'rfc822;jörg@example.org' })),
      'body.rcpt_to[0].orcpt',
      /US-ASCII/,
    );
    expect400(
      await s.create(rcpt({ e: [{ k: 'NOTIFY', p: 'FAILURE' }], notify: ['DELAY'] })),
      'body.rcpt_to[0].notify',
      /twice/,
    );
    expect400(
      await s.create(rcpt({ e: [{ k: 'NOTIFY', p: 'WHENEVER' }] })),
      'body.rcpt_to[0].e[0].p',
      /NOTIFY/,
    );
    expect400(
      await s.create(rcpt({ e: [{ k: 'RET', p: 'FULL' }] })),
      'body.rcpt_to[0].e[0].p',
      /MAIL parameter/,
    );
    const withDsn = (dsn: unknown) => ({ ...rcpt({}), dsn });
    expect400(await s.create(withDsn({ ret: 'ALL' })), 'body.dsn.ret');
    expect400(await s.create(withDsn({ envid: 'x'.repeat(101) })), 'body.dsn.envid', /100/);
    expect400(await s.create(withDsn({ envid: 'tab\there' })), 'body.dsn.envid', /printable/);
    expect400(await s.create(withDsn({ notify: ['FAILURE'] })), 'body.dsn.notify');
    expect400(
      await s.create({
        ...withDsn({ envid: 'a' }),
        mail_from: { m: 'a@example.org', e: [{ k: 'ENVID', p: 'b' }] },
      }),
      'body.dsn.envid',
      /twice/,
    );
    expect400(
      await s.create({
        ...rcpt({}),
        mail_from: { m: 'a@example.org', e: [{ k: 'NOTIFY', p: 'NEVER' }] },
      }),
      'body.mail_from.e[0].p',
      /RCPT parameter/,
    );
  });

  it('PATCH add_rcpt_to takes notify and orcpt too', async () => {
    const s = await sender();
    const res = await s.create({ mail_from: { m: 'a@example.org' } });
    expect(res.status, res.text).toBe(201);
    const patched = await s.api.patch(
      res.json.id,
      { add_rcpt_to: [{ m: 'b@example.org', notify: ['SUCCESS'] }] },
      res.headers.get('etag')!,
    );
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.rcpt_to).toEqual([
      { m: 'b@example.org', e: [{ k: 'NOTIFY', p: 'SUCCESS' }] },
    ]);
    const bad = await s.api.patch(
      res.json.id,
      { add_rcpt_to: [{ m: 'c@example.org', notify: ['NEVER', 'DELAY'] }] },
      patched.headers.get('etag')!,
    );
    expect400(bad, 'body.add_rcpt_to[0].notify');
  });

  it('are documented in the OpenAPI document served at /openapi.json', async () => {
    const res = await fetch(`${router.url}/openapi.json`);
    const doc = JSON.stringify(await res.json());
    expect(doc).toContain('RFC 3461 NOTIFY');
    expect(doc).toContain('RFC 3461 ORCPT');
    expect(doc).toContain('RFC 3461 ENVID');
    expect(doc).toContain('TransactionDsn');
  });
});

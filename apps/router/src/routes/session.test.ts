import { createApiKey, createSender, getTransaction, schema } from '@koukan/db';
import { ensureChain, uniqueName } from '@koukan/db/testing';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { client, routerSuite } from '../testing/harness.ts';

// Issue 10 item 5 and issue 13 items 3–4: `session` is set only with a gateway key and
// validated whoever sets it; the MSA's AUTH check route; an SMTP submission by another sender
// fans out into transactions of that sender.
const { t, router, sender } = routerSuite();

const envelope = { mail_from: { m: 'a@example.org' }, rcpt_to: [] };
const goodSession = {
  remote_ip: '192.0.2.7',
  helo: 'client.example.org',
  protocol: 'ESMTPS',
  tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
};

/** A sender with a valid chain and no exploder, and an ordinary key. */
const plainSender = (options: { enabled?: boolean } = {}) =>
  sender({
    ...options,
    filters: [{ filter: 'received_header' }, { filter: 'sandbox', mailbox: 'test' }],
  });

/** An MSA-like sender: exploder(msa) into `output`, with a gateway key. */
const msaSender = (output: string) =>
  sender({ gateway: true, filters: [{ filter: 'exploder', output_chain: output, msa: true }] });

describe('session on create', () => {
  it('refuses `session` from an ordinary API key with 403 naming body.session', async () => {
    const s = await sender();
    const res = await s.create({
      ...envelope,
      session: { remote_ip: '10.0.0.1', auth: { user: 'admin' } },
    });
    expect(res.status).toBe(403);
    expect(res.json.error.details).toContainEqual(
      expect.objectContaining({ field: 'body.session' }),
    );
  });

  it('validates the facts even from a gateway key: IP literal, HELO, no CR/LF', async () => {
    const { create } = await sender({ gateway: true });
    const post = (session: unknown) => create({ ...envelope, session });
    for (const [session, field] of [
      [{ remote_ip: 'not-an-ip' }, 'remote_ip'],
      [{ remote_ip: '192.0.2.1\r\nX: y' }, 'remote_ip'],
      [{ helo: 'evil\r\nX-Injected: yes' }, 'helo'],
      [{ helo: 'two words' }, 'helo'],
      [{ helo: '[300.1.1.1]' }, 'helo'],
      [{ protocol: 'ESMTP\r\nX: y' }, 'protocol'],
      [{ tls: { cipher: 'A B' } }, 'cipher'],
      [{ auth: { user: 'eve\nX: y' } }, 'user'],
    ] as const) {
      const res = await post(session);
      expect(res.status, JSON.stringify(session)).toBe(400);
      expect(JSON.stringify(res.json.error.details)).toContain(field);
    }
    for (const helo of ['[192.0.2.1]', '[IPv6:2001:db8::1]', 'WIN_PC', 'mx.example.org.']) {
      const res = await post({ ...goodSession, helo });
      expect(res.status, helo).toBe(201);
    }
    const res = await post(goodSession);
    const row = await getTransaction(t.db, res.json.id);
    expect(row?.metadata.session).toEqual(goodSession);
  });
});

describe('GET /v1/senders/{sender}/smtp-submission (the MSA AUTH check)', () => {
  it('answers chain, exploder or refused, and 401/403 for a wrong key', async () => {
    const plain = await plainSender();
    const fans = await msaSender(plain.name);
    const disabled = await plainSender({ enabled: false });
    const get = (name: string, key: string) =>
      client(router.url, key)('GET', `/v1/senders/${name}/smtp-submission`);
    expect((await get(plain.name, plain.key)).json).toEqual({ sender: plain.name, mode: 'chain' });
    expect((await get(fans.name, fans.key)).json).toEqual({ sender: fans.name, mode: 'exploder' });
    const off = await get(disabled.name, disabled.key);
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({
      mode: 'refused',
      reason: expect.stringContaining('disabled'),
    });
    expect((await get(plain.name, disabled.key)).status).toBe(403);
    expect((await get(plain.name, `kk_0123456789_${'x'.repeat(43)}`)).status).toBe(401);
  });
});

describe('SMTP submission by another sender (implicit exploder)', () => {
  it('fans out into transactions of the authenticated sender, recipients answered at once', async () => {
    const submitter = await plainSender();
    const msa = await msaSender(uniqueName('unused-output'));
    const created = await msa.create({
      ...envelope,
      rcpt_to: [{ m: 'bob@example.net' }],
      session: { ...goodSession, auth: { user: submitter.name } },
    });
    expect(created.status).toBe(201);
    expect(created.json.rcpt_response[0].code).toBe(250);
    const patched = await msa.api.patch(
      created.json.id,
      { add_rcpt_to: [{ m: 'carol@example.net' }] },
      created.headers.get('etag')!,
    );
    expect(patched.json.rcpt_response.map((r: { code: number }) => r.code)).toEqual([250, 250]);
    const ups = await t.db
      .select()
      .from(schema.transactions)
      .where(sql`${schema.transactions.parentId} = ${created.json.id}`);
    expect(ups).toHaveLength(2);
    for (const up of ups) expect(up.senderId).toBe(submitter.id);
  });

  it('refuses a sender that cannot take SMTP submission, with 422 naming session.auth.user', async () => {
    const other = await msaSender(uniqueName('x'));
    const msa = await msaSender(uniqueName('y'));
    const res = await msa.create({
      ...envelope,
      rcpt_to: [{ m: 'bob@example.net' }],
      session: { auth: { user: other.name } },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.details).toContainEqual(
      expect.objectContaining({ field: 'body.session.auth.user' }),
    );
  });

  it('stores nothing when a gateway create has no accepted recipient (422 with each refusal)', async () => {
    const name = uniqueName('mx');
    await ensureChain(t.db, name, [
      {
        filter: 'router',
        policies: [{ type: 'address_list', domains: ['localhost'] }],
        reject: { code: 550, enhanced: '5.7.1', message: 'relaying denied' },
      },
      { filter: 'exploder', output_chain: name, msa: false },
    ]);
    const sender = await createSender(t.db, { name, output_chain: name });
    const { key } = await createApiKey(t.db, { senderId: sender.id, gateway: true });
    const res = await client(router.url, key)('POST', `/v1/senders/${name}/transactions`, {
      json: {
        mail_from: { m: 'a@example.org' },
        rcpt_to: [{ m: 'victim@elsewhere.test' }],
        session: goodSession,
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.details).toEqual([
      { field: 'body.rcpt_to.0', message: '550 5.7.1 relaying denied' },
    ]);
    const rows = await t.db
      .select()
      .from(schema.transactions)
      .where(sql`${schema.transactions.senderId} = ${sender.id}`);
    expect(rows).toEqual([]);
  });
});

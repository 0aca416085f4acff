import { Readable } from 'node:stream';
import type { DnsResolve } from '@koukan/chain';
import { getTransaction } from '@koukan/db';
import type { Sender } from '@koukan/db/schema';
import { uniqueName } from '@koukan/db/testing';
import {
  cancelTransaction,
  createTransaction,
  type Principal,
  patchTransaction,
  uploadBody,
} from '@koukan/services';
import { SAMPLE_MESSAGE } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { silent } from '../engine/testing/harness.ts';
import { addr, ctxOf, exploderSuite, finished, submit, upstreamsOf } from '../testing/exploder.ts';

// The gateway's flow (MAIL → create with no recipients, each RCPT → PATCH, DATA → PUT body)
// against the exploder: RCPT answers come from the filters before the exploder, at once.
const { t, world } = exploderSuite();

const principalOf = (sender: Sender): Principal => ({ keyPrefix: 'test', senders: [sender] });

/** MAIL, then one PATCH per RCPT (as the gateway does); returns the transaction after each. */
async function smtpEnvelope(
  sender: Sender,
  rcpt: string[],
  hook?: { context: { logger: typeof silent; dns?: DnsResolve } },
) {
  const { transaction } = await createTransaction({
    ctx: ctxOf(t),
    input: { sender, request: { mail_from: { m: 'alice@example.com' }, rcpt_to: [] } },
  });
  let view = transaction;
  for (const m of rcpt) {
    view = await patchTransaction({
      ctx: ctxOf(t),
      input: {
        principal: principalOf(sender),
        id: view.id,
        ifMatch: view.version,
        request: { add_rcpt_to: [{ m }] },
        ...(hook && { exploder: hook }),
      },
    });
  }
  return view;
}

const localOnly = [
  {
    filter: 'router' as const,
    policies: [{ type: 'address_list' as const, domains: ['example.net'] }],
  },
];
const ok = addr('ok');

describe('exploder envelope phase', () => {
  it('answers each RCPT from the recipient policy, fans out the accepted ones and answers DATA from the upstream', async () => {
    const sender = await world.downstreamSender(false, {}, localOnly);
    const stranger = `${uniqueName('x')}@elsewhere.org`;
    const view = await smtpEnvelope(sender, [ok, stranger]);
    expect(view.rcpt_response[0]).toEqual({ code: 250, enhanced: '2.1.5', message: 'ok' });
    expect(view.rcpt_response[1]!.code).toBeGreaterThanOrEqual(500);
    const ups = await upstreamsOf(t, view.id);
    expect(ups.map((u) => [u.rcptTo[0]!.m, u.status, u.bodyBlobId])).toEqual([
      [ok, 'queued', null],
    ]);

    await uploadBody({
      ctx: ctxOf(t),
      input: {
        principal: principalOf(sender),
        id: view.id,
        range: undefined,
        contentLength: Buffer.byteLength(SAMPLE_MESSAGE),
        source: Readable.from([Buffer.from(SAMPLE_MESSAGE)]),
      },
    });
    await expect.poll(() => finished(t, view.id), { timeout: 10_000 }).toBeTruthy();
    expect((await getTransaction(t.db, view.id))!.dataResponse).toEqual({
      code: 250,
      enhanced: '2.0.0',
      message: 'queued',
    });
    const [up] = await upstreamsOf(t, view.id);
    expect(up).toMatchObject({ status: 'delivered', parentId: view.id });
    expect(world.receiver.requests.some((r) => r.body.transaction_id === up!.id)).toBe(true);
  });

  it('cancels the fan-out that never got a body with its downstream', async () => {
    const sender = await world.downstreamSender(true);
    const view = await smtpEnvelope(sender, [ok, addr('ok')]);
    expect((await upstreamsOf(t, view.id)).map((u) => u.status)).toEqual(['queued', 'queued']);
    await cancelTransaction({
      ctx: ctxOf(t),
      input: { principal: principalOf(sender), id: view.id },
    });
    expect((await upstreamsOf(t, view.id)).map((u) => u.status)).toEqual([
      'cancelled',
      'cancelled',
    ]);
  });

  const hanging: DnsResolve = () => new Promise(() => {});
  const failing: DnsResolve = () =>
    Promise.reject(Object.assign(new Error('servfail'), { code: 'ESERVFAIL' }));
  const dnsPrefix = [{ filter: 'dns_resolution' as const, lookup_timeout: 30 }];

  it.each([
    {
      msa: false,
      dns: hanging,
      what: 'timeout',
      expected: { code: 450, enhanced: '4.4.7', message: 'recipient check timed out' },
      fanOut: 0,
    },
    {
      msa: true,
      dns: hanging,
      what: 'timeout',
      expected: {
        code: 250,
        enhanced: '2.1.5',
        message: 'ok, accepted for store-and-forward delivery',
      },
      fanOut: 1,
    },
    { msa: false, dns: failing, what: 'temporary failure', expected: { code: 451 }, fanOut: 0 },
    { msa: true, dns: failing, what: 'temporary failure', expected: { code: 250 }, fanOut: 1 },
  ])('msa=$msa: a RCPT $what', async ({ msa, dns, expected, fanOut }) => {
    const sender = await world.downstreamSender(msa, { rcpt_timeout: 0.3 }, dnsPrefix);
    const view = await smtpEnvelope(sender, [ok], { context: { logger: silent, dns } });
    expect(view.rcpt_response[0]).toMatchObject(expected);
    expect(await upstreamsOf(t, view.id)).toHaveLength(fanOut);
  });

  it.each([
    {
      msa: false,
      data: { code: 451, enhanced: '4.4.7', message: 'upstream did not answer in time' },
      notify: false,
    },
    {
      msa: true,
      data: {
        code: 250,
        enhanced: '2.0.0',
        message: 'ok, queued for delivery (store and forward)',
      },
      notify: true,
    },
  ])('msa=$msa: an upstream that does not answer DATA in time', async ({ msa, data, notify }) => {
    const sender = await world.downstreamSender(msa, { data_timeout: 1 });
    const down = await submit(t, sender, [addr('slow')]);
    await expect.poll(() => finished(t, down.id), { timeout: 10_000 }).toBeTruthy();
    expect((await getTransaction(t.db, down.id))!.dataResponse).toEqual(data);
    const [up] = await upstreamsOf(t, down.id);
    expect(up!.status).toBe('inflight');
    // MX told the client to retry: the upstream is stopped after its attempt; MSA keeps it
    expect(up!.cancelRequestedAt !== null).toBe(!notify);
    expect(up!.notification?.enabled).toBe(notify);
  });
});

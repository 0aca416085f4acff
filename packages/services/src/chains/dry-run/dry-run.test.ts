import { randomBytes } from 'node:crypto';
import { defaultChains, zoneResolver } from '@koukan/chain';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { addDomain } from '../../domains/add-domain.ts';
import { secretKeyFromBytes } from '../../secrets/cipher.ts';
import { useTestDatabase } from '../../testing/database.ts';
import { makeSender, makeTransaction, SAMPLE_MESSAGE } from '../../testing/fixtures.ts';
import { chainSave } from '../save.ts';
import { dryRunChain, type dryRunInput } from './dry-run.ts';

// DNS is a fixed zone (the test's only stub); the chains, filters and database are real.
const dns = zoneResolver({
  'example.net': { MX: [{ exchange: 'mx.example.net', priority: 10 }] },
  'mx.example.net': { A: ['192.0.2.25'] },
  'example.com': { TXT: [['v=spf1 -all']] },
});

const MARCH = new Date('2026-03-01T10:00:00Z');
const { t, ctx } = useTestDatabase('user:admin@example.com');
beforeAll(async () => {
  // The default configuration, as `npm start` imports it (MX lookups, no smarthost).
  for (const [name, filters] of Object.entries(defaultChains())) {
    await chainSave({ ctx, input: { name, filters } });
  }
});

async function counts() {
  const { rows } = await t.pool.query(`select
    (select count(*)::int from transactions) as transactions,
    (select count(*)::int from blobs) as blobs,
    (select count(*)::int from sandbox_messages) as sandbox,
    (select count(*)::int from events) as events`);
  return rows[0];
}

/** A dry run by `c` with the fixed zone as its DNS. */
const dryRun = (input: z.input<typeof dryRunInput>, c = ctx) =>
  dryRunChain({ ctx: c, input }, { dns });

const envelope = (...rcpt: string[]) => ({
  mail_from: { m: 'alice@example.com' },
  rcpt_to: rcpt.map((m) => ({ m })),
});

describe('dry run of each default chain', () => {
  it('smtp-mx: refuses the relay attempt, fans out the local recipient, records the output', async () => {
    const before = await counts();
    const r = await dryRun({
      chain: { name: 'smtp-mx' },
      envelope: envelope('bob@localhost', 'eve@elsewhere.example'),
      session: { remote_ip: '203.0.113.9', helo: 'client.example' },
      message: { raw: SAMPLE_MESSAGE },
    });
    expect(r.steps.map((s) => [s.filter, s.result])).toEqual([
      ['router', 'continue'],
      ['exploder', 'done'],
    ]);
    expect(r.steps[0]!.rcpt).toEqual([
      null,
      { kind: 'perm', response: { code: 550, enhanced: '5.7.1', message: 'relaying denied' } },
    ]);
    expect(r.steps[1]!.recorded).toEqual({
      would: 'fan out',
      output_chain: 'smtp-mx-output',
      rcpt_to: ['bob@localhost'],
    });
    const nested = r.steps[1]!.nested as Awaited<ReturnType<typeof dryRunChain>>;
    expect(nested.steps.map((s) => s.filter)).toEqual([
      'received_header',
      'auth_check',
      'rest_output',
    ]);
    expect(nested.steps[0]!.headers_added[0]).toMatch(/^Received: /);
    expect(nested.steps[1]!.headers_added.join('\n')).toMatch(
      /^Authentication-Results: .*spf=fail/ms,
    );
    expect(nested.steps[2]!.recorded).toMatchObject({ would: 'deliver', sender: 'inbound' });
    expect(r.final.rcpt.map((v) => [v.kind, v.response.code])).toEqual([
      ['accept', 250],
      ['perm', 550],
    ]);
    // Nothing was stored, queued or delivered.
    expect(await counts()).toEqual(before);
  });

  it('smtp-msa: resolves the MX of each recipient domain and records the gateway delivery', async () => {
    const r = await dryRun({
      chain: { name: 'smtp-msa' },
      envelope: envelope('bob@example.net'),
      message: { raw: SAMPLE_MESSAGE },
    });
    const nested = r.steps[0]!.nested as Awaited<ReturnType<typeof dryRunChain>>;
    expect(nested.steps.map((s) => s.filter)).toEqual([
      'received_header',
      'dkim_sign',
      'router',
      'dns_resolution',
      'rest_output',
    ]);
    expect(nested.routing).toMatchObject({ remote_hosts: [{ host: 'mx.example.net' }] });
    expect(nested.steps[4]!.recorded).toMatchObject({
      would: 'deliver',
      rcpt_to: ['bob@example.net'],
      remote_hosts: [{ host: 'mx.example.net' }],
    });
    expect(r.final.rcpt[0]!.kind).toBe('accept');
  });

  it('submission: builds the message, leaves it unsigned for a domain without keys, routes it', async () => {
    const r = await dryRun({
      chain: { name: 'submission' },
      envelope: envelope('bob@example.net'),
      message: {
        message_builder: {
          from: [{ address: 'alice@localhost' }],
          to: [{ address: 'bob@example.net' }],
          subject: 'hello',
          text: { content: { inline: 'hi' } },
        },
      },
    });
    expect(r.steps.map((s) => s.filter)).toEqual([
      'message_builder',
      'dkim_sign',
      'router',
      'dns_resolution',
      'rest_output',
    ]);
    // dkim_sign follows the From: domain's keys; localhost is no sending domain: unsigned.
    expect(r.steps[1]).toMatchObject({ filter: 'dkim_sign', result: 'continue' });
    expect(r.steps[1]!.headers_added).toEqual([]);
    expect(r.secrets_replaced).toEqual([]);
    expect(r.steps[4]!.recorded).toMatchObject({ would: 'deliver', sender: 'outbound' });
    expect(r.final.data).toMatchObject({ kind: 'accept', response: { code: 250 } });
  });

  it('sandbox: keeps nothing, says what it would keep', async () => {
    const before = await counts();
    const r = await dryRun({
      chain: { name: 'sandbox' },
      envelope: envelope('bob@example.net'),
      message: { raw: SAMPLE_MESSAGE },
    });
    expect(r.steps[1]!.recorded).toMatchObject({
      would: 'keep in the sandbox',
      mailbox: 'sandbox',
    });
    expect(r.final.data!.response.message).toMatch(/sandbox/);
    expect(await counts()).toEqual(before);
  });
});

describe('dry run of an edited chain on an existing transaction', () => {
  it('uses the transaction envelope and body, and reports invalid filters by path', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const ok = await dryRun({
      chain: { filters: [{ filter: 'received_header' }, { filter: 'sandbox', mailbox: 'x' }] },
      message: { transaction_id: tx.id },
    });
    expect(ok.steps[0]!.headers_added[0]).toMatch(/^Received: /);
    expect(ok.steps[1]!.recorded).toMatchObject({ mailbox: 'x', size: expect.any(Number) });
    expect((ok.steps[1]!.recorded as { size: number }).size).toBeGreaterThan(SAMPLE_MESSAGE.length);
    expect(ok.final.rcpt).toHaveLength(1);
    await expect(
      dryRun({ chain: { filters: [{ filter: 'rest_output' }] }, message: { raw: 'x' } }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      details: expect.arrayContaining([
        { field: 'chain.filters[0].url', message: expect.any(String) },
      ]),
    });
  });
});

describe('dry run of dkim_sign', () => {
  it("shows the sending domain's selectors and signs with throwaway keys, without the secrets key", async () => {
    // the domain is made with a secrets key; the dry run runs without one (it never reads it)
    await addDomain({
      ctx: { ...ctx, secretKey: secretKeyFromBytes(randomBytes(32)), now: () => MARCH },
      input: { name: 'signing.example' },
    });
    const r = await dryRun(
      {
        chain: { name: 'submission' },
        envelope: {
          mail_from: { m: 'app@signing.example' },
          rcpt_to: [{ m: 'bob@example.net' }],
        },
        message: {
          message_builder: {
            from: [{ address: 'app@signing.example' }],
            to: [{ address: 'bob@example.net' }],
            subject: 'hello',
            text: { content: { inline: 'hi' } },
          },
        },
      },
      { ...ctx, now: () => MARCH },
    );
    const step = r.steps[1]!;
    expect(step).toMatchObject({ filter: 'dkim_sign', result: 'continue' });
    expect(step.recorded).toMatchObject({
      would: 'sign',
      signatures: [
        'k2026a._domainkey.signing.example rsa-sha256',
        'e2026a._domainkey.signing.example ed25519-sha256',
      ],
    });
    expect(step.headers_added).toHaveLength(2);
    expect(step.headers_added.join('\n')).toMatch(/s=k2026a/);
    expect(r.events.find((e) => e.type === 'dkim_signed')?.data).toEqual({
      signatures: [
        'k2026a._domainkey.signing.example rsa-sha256',
        'e2026a._domainkey.signing.example ed25519-sha256',
      ],
    });
    expect(r.final.data).toMatchObject({ kind: 'accept' });
  });

  it('explicit keys of both algorithms sign with throwaway keys of their algorithm', async () => {
    const r = await dryRun({
      chain: {
        filters: [
          {
            filter: 'dkim_sign',
            keys: [
              { domain: 'example.com', selector: 'r1', private_key_ref: 'dkim-rsa' },
              {
                domain: 'example.com',
                selector: 'e1',
                algorithm: 'ed25519-sha256',
                private_key_ref: 'dkim-ed',
              },
            ],
            require_signature: true,
          },
          { filter: 'sandbox' },
        ],
      },
      envelope: envelope('bob@example.net'),
      message: { raw: SAMPLE_MESSAGE },
    });
    expect(r.steps[0]!.result).toBe('continue');
    expect(r.steps[0]!.recorded).toMatchObject({
      signatures: [
        'r1._domainkey.example.com rsa-sha256',
        'e1._domainkey.example.com ed25519-sha256',
      ],
    });
    expect(r.secrets_replaced).toEqual(['dkim-ed', 'dkim-rsa']);
  });

  it('refuses a pasted message whose header is larger than the gateway accepts', async () => {
    const raw = `From: a@example.com\r\n${'X-A: b\r\n'.repeat(40_000)}\r\nbody\r\n`;
    const err = await dryRun({
      chain: { name: 'smtp-mx' },
      envelope: envelope('bob@localhost'),
      message: { raw },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'bad_request',
      details: [{ field: 'message.raw', message: expect.stringMatching(/header section over/) }],
    });
  });
});

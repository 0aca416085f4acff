import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import type { DomainView } from '@koukan/services';
import { type LocalDns, startLocalDns } from '@koukan/services/testing/dns';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postTransaction, stackSuite } from './testing/stack.ts';

/**
 * Issue 17's newcomer story end to end: `koukan domain add` on a running stack, its printed
 * records served by a DNS server on loopback (a dns2 server: these machines cannot reach the
 * internet, so DNS is the one thing stood in for), a REST message `From: app@<domain>` through
 * the real router → real gateway → a real SMTP server, and the received bytes verified by
 * mailauth against that DNS: dkim=pass for the RSA and the Ed25519 signature. Then a rotation:
 * old mail verifies while the old selectors are published, new mail carries the new ones.
 */
const SEED = 'kk_DkimSign01_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
const DOMAIN = 'mail.newcomer.test';

describe('a newcomer adds a domain, publishes its records, and its mail verifies', () => {
  const { sink, stack } = stackSuite(
    // the secrets key file is made beside the data folder at first start
    async ({ dir }) => ({ KOUKAN_DATA_DIR: join(dir, 'data'), KOUKAN_SEED_API_KEY: SEED }),
    { db: true },
  );
  let dns: LocalDns;
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  beforeAll(async () => {
    dns = await startLocalDns();
    resolver.setServers([dns.address]);
  });
  afterAll(() => dns?.close());

  /** What `domain show --json` prints, published as the newcomer would: every record. */
  async function publish(): Promise<DomainView> {
    const view = JSON.parse(await stack.cli(['domain', 'show', DOMAIN, '--json'])) as DomainView;
    dns.zone.clear();
    for (const r of view.records) dns.publish(r.name, r.value);
    return view;
  }

  /** A REST message from the domain; resolves with what the next hop received. */
  async function send(subject: string): Promise<string> {
    const before = sink.received.length;
    const res = await postTransaction(stack, SEED, {
      mail_from: { m: `app@${DOMAIN}` },
      rcpt_to: [{ m: 'bob@example.org' }],
      body: {
        message_builder: {
          from: [{ address: `app@${DOMAIN}`, name: 'The App' }],
          to: [{ address: 'bob@example.org' }],
          subject,
          text: { content: { inline: `Grüße — ${subject}\n` } },
        },
      },
    });
    expect(res.status).toBe(201);
    await expect.poll(() => sink.received.length - before, { timeout: 60_000 }).toBe(1);
    return sink.received.at(-1)!.body;
  }

  /** mailauth's verdict per signature, keys from the local DNS. */
  async function verify(message: string) {
    const r = await dkimVerify(Buffer.from(message), {
      resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[][]>,
    });
    return r.results.map((x) => ({
      d: x.signingDomain,
      s: x.selector,
      // mailauth 4.13 names it `algo` (its typings say `algorithm`)
      a: (x as { algo?: string }).algo,
      result: x.status.result,
    }));
  }

  let first: string;
  let added: DomainView;

  it('one command adds the domain and prints the records to publish; the message signed by both keys verifies', async () => {
    const out = await stack.cli(['domain', 'add', DOMAIN]);
    expect(out).toContain(`added ${DOMAIN}. Publish these DNS records:`);
    added = await publish();
    const [rsa, ed] = added.keys;
    expect([rsa?.algorithm, ed?.algorithm]).toEqual(['rsa-sha256', 'ed25519-sha256']);
    // the human output prints each record the JSON has
    for (const r of added.records) expect(out).toContain(r.name);
    expect(await stack.cli(['domain', 'check', DOMAIN, '--dns', dns.address])).toContain(
      `${DOMAIN}: every record is published as expected`,
    );

    first = await send('the first message');
    expect(first).toMatch(/^DKIM-Signature: /i);
    expect(await verify(first)).toEqual([
      { d: DOMAIN, s: rsa!.selector, a: 'rsa-sha256', result: 'pass' },
      { d: DOMAIN, s: ed!.selector, a: 'ed25519-sha256', result: 'pass' },
    ]);
    // a control: without the published keys the same bytes do not pass
    dns.zone.clear();
    expect((await verify(first)).map((v) => v.result)).not.toContain('pass');
    await publish();
  }, 180_000);

  it('after a rotation old mail still verifies while its selectors are published, and new mail is signed with the new ones', async () => {
    await stack.cli(['domain', 'rotate', DOMAIN, '--publish-wait', '0s', '--grace', '7d']);
    const rotated = await publish();
    const fresh = rotated.keys.filter((k) => k.state === 'active').map((k) => k.selector);
    const old = added.keys.map((k) => k.selector);
    expect(rotated.keys.filter((k) => k.state === 'retiring').map((k) => k.selector)).toEqual(old);
    expect(fresh).toHaveLength(2);
    expect(fresh).not.toEqual(old);
    // the old records are still to publish (the grace period), so the old mail verifies
    expect(rotated.records.filter((r) => r.purpose === 'dkim').map((r) => r.selector)).toEqual(
      expect.arrayContaining([...old, ...fresh]),
    );
    expect((await verify(first)).map((v) => v.result)).toEqual(['pass', 'pass']);

    // a running router learns of the rotation within its key cache's 5 s: until then mail is
    // signed with the old keys (and verifies); then with the new ones
    let n = 0;
    await expect
      .poll(
        async () => {
          const message = await send(`after the rotation ${++n}`);
          const verdicts = await verify(message);
          expect(verdicts.map((v) => v.result)).toEqual(['pass', 'pass']);
          return verdicts.map((v) => v.s);
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toEqual(fresh);

    // once the old selectors are gone from DNS the old mail no longer verifies (the control)
    for (const s of old) dns.zone.delete(`${s}._domainkey.${DOMAIN}`);
    expect((await verify(first)).map((v) => v.result)).not.toContain('pass');
  }, 180_000);
});

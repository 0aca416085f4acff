import { Readable } from 'node:stream';
import { runChain, validateChain, zoneResolver } from '@koukan/chain';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_TOKEN, startOutbound } from '../../gateway/src/testing/outbound.ts';
import { Sink } from '../../gateway/src/testing/sink.ts';

/**
 * The next hops `dns_resolution` hands `rest_output` are ones the gateway's outbound API takes
 * (the protocol's `remoteHostSchema` decides for both), whatever the DNS answers.
 */
let sink: Sink;
let gateway: Awaited<ReturnType<typeof startOutbound>>;
beforeAll(async () => {
  sink = await new Sink().start();
  gateway = await startOutbound();
});
afterAll(async () => {
  await gateway?.stop();
  await sink?.close();
});

function deliver(mx: { exchange: string; priority: number }[], id: string) {
  const checked = validateChain([
    { filter: 'dns_resolution', port: sink.port, allow_private_next_hops: true },
    { filter: 'rest_output', url: gateway.url, sender: 'out', api_key_ref: 'gw', poll_timeout: 5 },
  ]);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const body = Buffer.from(`Subject: ${id}\r\n\r\nhello\r\n`);
  return runChain(
    checked.chain,
    {
      id,
      sender: 'test',
      mail_from: { m: 'a@example.com' },
      rcpt_to: [{ m: 'b@hops.test' }],
      body: { open: () => Readable.from([body]), size: body.length },
    },
    {
      logger: pino({ level: 'silent' }),
      secrets: { get: (ref) => (ref === 'gw' ? GATEWAY_TOKEN : undefined) },
      dns: zoneResolver({ 'hops.test': { MX: mx } }),
    },
  );
}

describe('next hops from DNS, through the real outbound API', () => {
  it('an MX name the gateway would refuse is skipped; the next one delivers', async () => {
    const res = await deliver(
      [
        { exchange: 'mx one.hops.test', priority: 5 },
        { exchange: `${'a'.repeat(300)}.test`, priority: 6 },
        { exchange: '127.0.0.1', priority: 10 },
      ],
      'hops-1',
    );
    expect(res.rcpt[0]).toMatchObject({ kind: 'accept' });
    expect(res.events.find((e) => e.type === 'dns_resolved')?.data).toEqual({
      domain: 'hops.test',
      hosts: [`127.0.0.1:${sink.port}`],
    });
    expect(sink.received.map((m) => m.to)).toContainEqual(['b@hops.test']);
  });

  it('with no usable name the message fails for good, without a call to the gateway', async () => {
    const res = await deliver([{ exchange: 'mx one.hops.test', priority: 5 }], 'hops-2');
    expect(res.rcpt[0]).toMatchObject({ kind: 'perm', response: { code: 554, enhanced: '5.4.4' } });
    expect(res.events.map((e) => e.type)).toContain('dns_failed');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sink } from '../../gateway/src/testing/sink.ts';
import {
  GATEWAY_TOKEN,
  type GatewayProcess,
  losingProxy,
  MemoryJournal,
  restOutputAttempt,
  roundRobinProxy,
  startGatewayProcess,
} from './testing/gateways.ts';

/**
 * Two gateway processes behind one address (a round-robin TCP proxy, as a Service would be),
 * driven by the real rest_output filter: the create, the body, the polls and the cancel reach
 * the replica that holds the transaction (its absolute Location), a create is idempotent (and
 * one retried on the other replica cannot deliver: only the body PUT to the Location starts it), an
 * abandoned attempt cancels its upstream, and the attempt after a crash adopts the upstream
 * transaction of the one before instead of sending the message again.
 */
describe('gateway replicas behind one address', () => {
  let gateways: GatewayProcess[];
  let proxy: Awaited<ReturnType<typeof roundRobinProxy>>;
  let sink: Sink;
  const base = () => `http://127.0.0.1:${proxy.port}`;
  const auth = { authorization: `Bearer ${GATEWAY_TOKEN}` };

  beforeAll(async () => {
    sink = await new Sink().start();
    gateways = await Promise.all([startGatewayProcess(), startGatewayProcess()]);
    proxy = await roundRobinProxy(() => gateways.map((g) => g.port));
  }, 240_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sink?.close();
  });

  const subjectsAt = (s: Sink) => s.received.map((r) => /Subject: (\S+)/.exec(r.body)?.[1]);

  it('delivers many messages once each, through both replicas', async () => {
    const n = 40;
    const ids = Array.from({ length: n }, (_, i) => `many-${i}-${Date.now()}`);
    const journals = ids.map(() => new MemoryJournal(1));
    const results = [];
    // 8 at a time: many connections through the proxy, so requests cross replicas
    for (let i = 0; i < n; i += 8) {
      results.push(
        ...(await Promise.all(
          ids.slice(i, i + 8).map((id, j) =>
            restOutputAttempt({
              url: base(),
              sinkPort: sink.port,
              id,
              to: `bob+${id}@example.net`,
              journal: journals[i + j]!,
              inline: (i + j) % 2 === 0,
            }),
          ),
        )),
      );
    }
    expect(results.map((r) => r.data?.kind)).toEqual(ids.map(() => 'accept'));
    const delivered = subjectsAt(sink).filter((s) => s?.startsWith('many-'));
    expect([...delivered].sort()).toEqual([...ids].sort());
    // the upstream transactions were spread over both replicas, each addressed directly
    const urls = journals.map((j) => String(j.entries[0]?.data.url));
    for (const g of gateways) {
      expect(urls.some((u) => u.startsWith(`http://127.0.0.1:${g.port}/v1/transactions/`))).toBe(
        true,
      );
    }
  }, 120_000);

  it('answers a create retried with the same Idempotency-Key with the same transaction', async () => {
    const gw = `http://127.0.0.1:${gateways[0]!.port}`;
    const create = (key: string, to: string) =>
      fetch(`${gw}/v1/senders/outbound/transactions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({
          mail_from: { m: 'a@example.com' },
          rcpt_to: [{ m: to }],
          remote_hosts: [{ host: '127.0.0.1', port: sink.port }],
        }),
      });
    const key = `key-${Date.now()}`;
    const first = await create(key, 'bob@example.net');
    const again = await create(key, 'bob@example.net');
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    const a = (await first.json()) as { id: string };
    const b = (await again.json()) as { id: string };
    expect(b.id).toBe(a.id);
    expect(again.headers.get('location')).toBe(`${gw}/v1/transactions/${a.id}`);
    // the same key for another request is refused, naming the header
    const other = await create(key, 'carol@example.net');
    expect(other.status).toBe(422);
    expect(JSON.stringify(await other.json())).toContain('headers.idempotency-key');
    const bad = await create('bad key with spaces', 'bob@example.net');
    expect(bad.status).toBe(400);
  });

  it('a create whose answer is lost and is retried on the other replica delivers once', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const lossy = await losingProxy(a.port, b.port);
    try {
      const id = `lost-create-${Date.now()}`;
      const journal = new MemoryJournal(1);
      const url = `http://127.0.0.1:${lossy.port}`;
      const res = await restOutputAttempt({ url, sinkPort: sink.port, id, journal });
      expect(res.data?.kind).toBe('accept');
      expect(subjectsAt(sink).filter((s) => s === id)).toHaveLength(1);
      // the retry (same Idempotency-Key) made a second transaction, on the other replica ...
      const used = String(journal.entries[0]?.data.url);
      expect(used.startsWith(`http://127.0.0.1:${b.port}/v1/transactions/`)).toBe(true);
      // ... while the first one, whose answer was lost, never got its body: it cannot deliver
      const orphan = /^location: (\S+)/im.exec(lossy.lost())?.[1];
      expect(orphan?.startsWith(`http://127.0.0.1:${a.port}/v1/transactions/`)).toBe(true);
      const left = await fetch(orphan!, { headers: auth });
      expect(((await left.json()) as { status: string }).status).toBe('waiting_body');
    } finally {
      await lossy.close();
    }
  }, 120_000);

  it('an abandoned attempt cancels its upstream; the next attempt delivers once', async () => {
    // a next hop that holds MAIL until told: the gateway has not read the body yet
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    let sawMail: () => void = () => {};
    const mailSeen = new Promise<void>((r) => (sawMail = r));
    const slow = await new Sink({
      mail: () => {
        sawMail();
        return held.then(() => undefined);
      },
    }).start();
    const { received, port: slowPort } = slow;
    try {
      const id = `abandoned-${Date.now()}`;
      const first = new MemoryJournal(1);
      const running = restOutputAttempt({ url: base(), sinkPort: slowPort, id, journal: first });
      await mailSeen;
      first.controller.abort(new Error('attempt timed out')); // what the engine does on timeout
      await running.catch(() => undefined);
      const url = String(first.entries.find((e) => e.type === 'upstream_created')?.data.url);
      const status = async () =>
        ((await (await fetch(url, { headers: auth })).json()) as { status: string }).status;
      release();
      await expect.poll(status, { timeout: 30_000 }).toBe('cancelled');
      expect(received).toEqual([]);

      // the next attempt sees a cancelled upstream and sends the message once
      const second = new MemoryJournal(2, first.timeline());
      const res = await restOutputAttempt({ url: base(), sinkPort: slowPort, id, journal: second });
      expect(res.data?.kind).toBe('accept');
      expect(received).toHaveLength(1);
      expect(second.entries[0]?.data.url).not.toBe(url);
    } finally {
      release();
      await slow.close();
    }
  }, 60_000);

  it('the attempt after a crash adopts the accepted upstream instead of sending again', async () => {
    const id = `crash-${Date.now()}`;
    const attempt = (journal: MemoryJournal) =>
      restOutputAttempt({ url: base(), sinkPort: sink.port, id, journal });
    const count = () => subjectsAt(sink).filter((s) => s === id).length;

    // attempt 1 is delivered, and "killed" before its outcome was written: only what its journal
    // wrote at once survives (the upstream transaction, and that the upstream accepted)
    const first = new MemoryJournal(1);
    expect((await attempt(first)).data?.kind).toBe('accept');
    expect(first.entries.map((e) => e.type)).toEqual(['upstream_created', 'upstream_accepted']);
    expect(count()).toBe(1);

    // the replica still holds it: adopted, not sent again
    const second = new MemoryJournal(2, first.entries);
    const adopted = await attempt(second);
    expect(adopted.data?.kind).toBe('accept');
    expect(adopted.events.map((e) => e.type)).toContain('upstream_adopted');
    expect(count()).toBe(1);

    // the replica is gone (its transaction unknown): the recorded acceptance decides
    const gone = first.entries.map((e) => ({
      type: e.type,
      data: { ...e.data, url: `${base()}/v1/transactions/00000000-0000-4000-8000-000000000000` },
    }));
    const third = await attempt(new MemoryJournal(2, gone));
    expect(third.data?.kind).toBe('accept');
    expect(third.events.map((e) => e.type)).toContain('upstream_accepted_recovered');
    expect(count()).toBe(1);

    // gone, and no acceptance recorded: sent again, and counted as a possible duplicate
    const fourth = await attempt(new MemoryJournal(2, gone.slice(0, 1)));
    expect(fourth.data?.kind).toBe('accept');
    expect(fourth.events.map((e) => e.type)).toContain('upstream_possible_duplicate');
    expect(count()).toBe(2);
  }, 60_000);
});

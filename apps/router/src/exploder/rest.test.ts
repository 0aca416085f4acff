import { createApiKey } from '@koukan/db';
import { expect, it, onTestFinished } from 'vitest';
import { addr, exploderSuite, upstreamsOf } from '../testing/exploder.ts';
import { client, MESSAGE, type Res, startRouter } from '../testing/harness.ts';

// The SMTP gateway's calls over real HTTP (MAIL → POST with no recipients, RCPT → PATCH,
// DATA → PUT body, replies by long-poll GET) against a router whose engine runs the exploder.
const { t, world } = exploderSuite();

it('answers RCPT in the PATCH and DATA by long-poll, with each upstream its own transaction', async () => {
  const sender = await world.downstreamSender(true, {}, [
    { filter: 'router', policies: [{ type: 'address_list', domains: ['example.net'] }] },
  ]);
  const { key } = await createApiKey(t.db, { senderId: sender.id });
  const router = await startRouter(t, world.app);
  onTestFinished(() => router.close());
  const call = client(router.url, key);
  const created = await call('POST', `/v1/senders/${sender.name}/transactions`, {
    json: { mail_from: { m: 'alice@example.com' }, rcpt_to: [] },
  });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  let etag = created.headers.get('etag')!;
  const rcpt = [addr('ok'), `nobody@elsewhere.org`, addr('data-perm')];
  for (const [i, m] of rcpt.entries()) {
    const patched = await call.patch(id, { add_rcpt_to: [{ m }], heartbeat: true }, etag);
    expect(patched.status).toBe(200);
    etag = patched.headers.get('etag')!;
    const answer = patched.json.rcpt_response[i];
    if (i === 1) expect(answer.code).toBeGreaterThanOrEqual(500);
    else expect(answer).toEqual({ code: 250, enhanced: '2.1.5', message: 'ok' });
  }
  expect((await upstreamsOf(t, id)).map((u) => u.rcptTo[0]!.m)).toEqual([rcpt[0], rcpt[2]]);

  const put = await call.put(id, MESSAGE, { 'content-type': 'message/rfc822' });
  expect(put.status).toBeLessThan(300);
  // long-poll as the gateway does until DATA is answered
  let view: Res | undefined;
  await expect
    .poll(
      async () => {
        const r = await call.poll(id, etag, '5');
        if (r.status === 200) {
          etag = r.headers.get('etag')!;
          view = r;
        }
        return view?.json.data_response;
      },
      { timeout: 15_000 },
    )
    .toBeTruthy();
  // MSA, one delivered and one refused for good: 250, and the refused one gets a DSN
  expect(view!.json.data_response).toEqual({
    code: 250,
    enhanced: '2.0.0',
    message: 'ok, queued; delivery to some recipients will be retried or they will be notified',
  });
  const ups = await upstreamsOf(t, id);
  expect(ups.map((u) => u.status)).toEqual(['delivered', 'failed']);
});

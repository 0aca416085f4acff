import { describe, expect, it } from 'vitest';
import { msaSession, stackSuite, startStack } from './testing/stack.ts';

/**
 * A gateway process killed with SIGKILL in the middle of DATA, against the real router (the
 * whole stack from `koukan start`). The database is the test's own (DATABASE_URL's server, or an
 * embedded one in this process), so it outlives the stack: the test starts it again.
 */
describe('a gateway killed mid-DATA', () => {
  // info: the gateway's "gateway started" line carries its pid
  const { sink, stack, db } = stackSuite({ LOG_LEVEL: 'info' }, { db: true });

  it('the client gets no 250, nothing is delivered, and the router fails what was half-done', async () => {
    const key = await stack.cli(['apikey', 'create', 'smtp-msa']);
    const { c, auth } = await msaSession(stack.ports.msa, 'smtp-msa', key);
    expect(auth).toMatch(/^235 /);
    expect(await c.cmd('MAIL FROM:<crash@example.com>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<bob@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('RCPT TO:<carol@example.org>')).toMatch(/^250 /);
    expect(await c.cmd('DATA')).toMatch(/^354 /);
    const half = `Subject: half\r\n\r\n${'first half of the message\r\n'.repeat(20_000)}`;
    c.write(half);

    // The gateway streams DATA to the router while it arrives: bytes are stored before the end.
    const downstream = async () =>
      (
        await db.pool.query(
          `select t.id, t.status, t.next_attempt_at, t.final_attempt_reason,
                  b.status as body_status, coalesce(b.size, 0)::int as body_size
             from transactions t join senders s on s.id = t.sender_id
             left join blobs b on b.id = t.body_blob_id
            where s.name = 'smtp-msa' and t.mail_from->>'m' = 'crash@example.com'`,
        )
      ).rows;
    await expect
      .poll(async () => (await downstream())[0]?.body_size ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(0);

    const started = /"pid":(\d+)[^\n]*"msg":"gateway started"/.exec(stack.output());
    expect(started, stack.output()).not.toBeNull();
    process.kill(Number(started![1]), 'SIGKILL');

    // No 250 (nor any reply): the connection just drops.
    expect(await c.reply()).toBe('');
    expect(c.closed).toBe(true);

    // The supervisor restarts the gateway (the router keeps running).
    await expect
      .poll(() => stack.output(), { timeout: 120_000 })
      .toMatch(/"component":"gateway"[^\n]*"msg":"a component died; restarting"/);

    // Nothing delivered; the downstream has a partial, never finalized body and is not due
    // (the engine never claims it), its upstreams (one per recipient) never got a body nor an
    // attempt.
    expect(sink.received).toEqual([]);
    const [row] = await downstream();
    expect(row).toMatchObject({
      status: 'queued',
      next_attempt_at: null,
      body_status: 'uploading',
    });
    expect(row.body_size).toBeGreaterThan(0);
    expect(row.body_size).toBeLessThan(Buffer.byteLength(half));
    const upstreams = async () =>
      (
        await db.pool.query(
          `select t.status, t.body_blob_id, t.final_attempt_reason,
                  (select count(*)::int from attempts a where a.transaction_id = t.id) as attempts
             from transactions t where t.parent_id = $1 order by t.created_at`,
          [row.id],
        )
      ).rows;
    expect(await upstreams()).toEqual([
      { status: 'queued', body_blob_id: null, final_attempt_reason: null, attempts: 0 },
      { status: 'queued', body_blob_id: null, final_attempt_reason: null, attempts: 0 },
    ]);

    // What ends them: the router's own retention pass fails queued transactions still without a
    // body after its body timeout: start the stack again on the same database (as an operator
    // would), with a short timeout and interval passed through the CLI's environment to the
    // router.
    expect(await downstream()).toMatchObject([{ status: 'queued' }]);
    await stack.stop();
    Object.assign(
      stack,
      await startStack({
        smarthost: sink.port,
        env: {
          DATABASE_URL: db.url,
          KOUKAN_BODY_TIMEOUT_MS: '1000',
          KOUKAN_RETENTION_INTERVAL_MS: '200',
        },
      }),
    );
    await expect
      .poll(async () => (await downstream())[0]?.status, { timeout: 20_000 })
      .toBe('failed');
    expect(await downstream()).toMatchObject([
      { status: 'failed', final_attempt_reason: 'downstream_timeout', body_status: 'uploading' },
    ]);
    await expect
      .poll(
        async () => (await upstreams()).map((u) => [u.status, u.final_attempt_reason, u.attempts]),
        {
          timeout: 20_000,
        },
      )
      .toEqual([
        ['failed', 'downstream_timeout', 0],
        ['failed', 'downstream_timeout', 0],
      ]);
    expect(sink.received).toEqual([]);
  }, 900_000);
});

import { expect, smtpSend, test, uid } from '../src/fixtures.ts';
import { configExport, configImport, koukan } from '../src/koukan-cli.ts';

/** Flow 1: mail through real SMTP and HTTP, from each entry point to each destination. */
test.describe('mail paths', () => {
  test('REST on each router → delivery engine → gateway → the SMTP sink', async ({
    api,
    harness,
  }) => {
    for (const router of [0, 1]) {
      const to = `${uid(`rest${router}`)}@example.org`;
      const subject = uid('rest subject');
      const created = await api.send({ from: 'alice@example.com', to: [to], subject }, { router });
      expect(created.status).toBe(201);
      await expect
        .poll(async () => (await harness.sinkMessages()).find((m) => m.to.includes(to)))
        .toMatchObject({ from: 'alice@example.com', to: [to] });
      const message = (await harness.sinkMessages()).find((m) => m.to.includes(to))!;
      expect(message.data).toContain(`Subject: ${subject}`);
      await expect.poll(async () => (await api.get(created.body.id)).status).toBe('delivered');
    }
  });

  test('SMTP submission (MSA: STARTTLS, AUTH) → the SMTP sink', async ({ stack, harness }) => {
    const to = `${uid('msa')}@example.net`;
    const subject = uid('submitted');
    const reply = await smtpSend(
      stack,
      'msa',
      { from: 'carol@example.com', to: [to], subject },
      { user: 'submission', pass: stack.apiKey },
    );
    expect(reply).toMatch(/^250/);
    await expect
      .poll(async () => (await harness.sinkMessages()).find((m) => m.to.includes(to))?.data)
      .toContain(`Subject: ${subject}`);
  });

  test('SMTP submission without AUTH is refused', async ({ stack }) => {
    await expect(
      smtpSend(stack, 'msa', {
        from: 'carol@example.com',
        to: ['nobody@example.net'],
        subject: 'no auth',
      }),
    ).rejects.toThrow(/530|authentication/i);
  });

  test.describe
    .serial('inbound (MX)', () => {
      test('MX → the example receiver, printed as parsed JSON', async ({ stack, harness }) => {
        const local = uid('inbound');
        const subject = uid('hello receiver');
        const reply = await smtpSend(stack, 'mx', {
          from: 'dave@example.org',
          to: [`${local}@localhost`],
          subject,
          text: 'Hello from the e2e suite',
        });
        expect(reply).toMatch(/^250/);
        await expect
          .poll(async () =>
            (await harness.receiverMessages()).find((m) =>
              m.rcpt_to.includes(`${local}@localhost`),
            ),
          )
          .toMatchObject({
            sender: 'inbound',
            mail_from: 'dave@example.org',
            rcpt_to: [`${local}@localhost`],
            message: {
              subject,
              text: expect.stringContaining('Hello from the e2e suite'),
              from: [expect.objectContaining({ address: 'dave@example.org' })],
            },
          });
      });

      test('MX → LMTP (smtp-mx-output pointed at the gateway, whose next hop is LMTP)', async ({
        stack,
        harness,
      }) => {
        const before = await configExport(stack);
        await configImport(stack, {
          chain: [
            {
              name: 'smtp-mx-output',
              filters: [
                { filter: 'received_header' },
                { filter: 'auth_check' },
                {
                  filter: 'rest_output',
                  url: stack.gatewayApi,
                  sender: 'inbound',
                  api_key_ref: 'inbound',
                  send_remote_hosts: false,
                },
              ],
            },
          ],
        });
        try {
          const local = uid('lmtp');
          const subject = uid('to a mailbox');
          await smtpSend(stack, 'mx', {
            from: 'erin@example.org',
            to: [`${local}@localhost`],
            subject,
          });
          await expect
            .poll(async () =>
              (await harness.lmtpMessages()).find((m) => m.to.includes(`${local}@localhost`)),
            )
            .toMatchObject({ from: 'erin@example.org', data: expect.stringContaining(subject) });
        } finally {
          await koukan(stack, ['config', 'import'], before);
        }
      });
    });
});

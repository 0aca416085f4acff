import { listEvents, readBlob } from '@koukan/db';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  addr,
  dsnsFor,
  exploderSuite,
  finished,
  submit,
  upstreamsOf,
} from '../testing/exploder.ts';

/** The exploder's fan-in honours RFC 3461: NOTIFY, ORCPT and ENVID of each recipient. */
const { t, world } = exploderSuite();

async function statusOf(dsnBlob: string) {
  const mail = await simpleParser(await readBlob(t.db, dsnBlob), { keepDeliveryStatus: true });
  return (
    mail.attachments
      .find((a) => a.contentType === 'message/delivery-status')
      ?.content.toString()
      .replace(/\r\n[ \t]+/g, ' ') ?? ''
  );
}

describe('exploder (MSA) DSNs', () => {
  it('success DSN for NOTIFY=SUCCESS, failure DSN with ORCPT/ENVID, nothing for NEVER or no NOTIFY', async () => {
    const sender = await world.downstreamSender(true);
    const rcpt = [
      { m: addr('ok'), notify: ['SUCCESS'], orcpt: 'rfc822;first@example.org' },
      { m: addr('ok') },
      { m: addr('rcpt-perm'), notify: ['FAILURE'], orcpt: 'rfc822;third@example.org' },
      { m: addr('rcpt-perm'), notify: ['NEVER'] },
    ];
    const down = await submit(t, sender, rcpt, { dsn: { envid: 'batch-7' } });
    await expect.poll(() => finished(t, down.id), { timeout: 15_000 }).toBeTruthy();
    const ups = await upstreamsOf(t, down.id);
    expect(ups.map((u) => u.status)).toEqual(['delivered', 'delivered', 'failed', 'failed']);
    // the follow-ups run after the fan-in answered: wait for the two that make a DSN
    for (const up of [ups[0]!, ups[2]!]) {
      await expect.poll(async () => (await dsnsFor(t, up.id)).length, { timeout: 15_000 }).toBe(1);
    }
    const [success] = await dsnsFor(t, ups[0]!.id);
    expect(success!.metadata).toMatchObject({ dsn_kind: 'success' });
    expect(success!.rcptTo).toEqual([{ m: 'alice@example.com' }]);
    const s = await statusOf(success!.bodyBlobId!);
    expect(s).toMatch(/^Original-Envelope-Id: batch-7\r?$/m);
    expect(s).toMatch(/^Original-Recipient: rfc822; first@example\.org\r?$/m);
    expect(s).toMatch(/^Action: delivered\r?$/m);

    const [failure] = await dsnsFor(t, ups[2]!.id);
    expect(failure!.metadata).toMatchObject({ dsn_kind: 'failure' });
    const f = await statusOf(failure!.bodyBlobId!);
    expect(f).toMatch(/^Original-Envelope-Id: batch-7\r?$/m);
    expect(f).toMatch(/^Original-Recipient: rfc822; third@example\.org\r?$/m);
    expect(f).toMatch(/^Action: failed\r?$/m);

    // NEVER: followed up (the failure is final), and no DSN
    await expect
      .poll(async () => (await listEvents(t.db, ups[3]!.id)).map((e) => e.type), {
        timeout: 15_000,
      })
      .toContain('exploder_follow_up');
    expect(await dsnsFor(t, ups[1]!.id)).toEqual([]);
    expect(await dsnsFor(t, ups[3]!.id)).toEqual([]);
  });
});

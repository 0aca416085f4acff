import { Readable } from 'node:stream';
import type { Db } from '../client/create-db.ts';
import { createBlob, finalizeBlob, writeBlobStream } from '../queries/blobs.ts';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

/** Sample bodies the demo transactions share (a few blobs, not one per transaction). */
const demoBodies = {
  receipt: crlf([
    'From: "Demo Shop" <noreply@demo-shop.example>',
    'To: customer@example.net',
    'Subject: Your order has shipped',
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    'Message-ID: <receipt.sample@demo-shop.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your order is on its way. Track it at https://demo-shop.example/track',
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Your order is <b>on its way</b>.</p><img src="https://tracker.example/pixel.gif">',
    '--alt--',
  ]),
  statement: crlf([
    'From: Billing <billing@demo-billing.example>',
    'To: customer@example.net',
    'Subject: =?utf-8?q?Your_statement_=E2=80=94_December?=',
    'Date: Tue, 01 Dec 2026 11:00:00 +0000',
    'Message-ID: <statement.sample@demo-billing.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mix"',
    '',
    '--mix',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your statement is attached.',
    '--mix',
    'Content-Type: application/pdf; name="statement.pdf"',
    'Content-Disposition: attachment; filename="statement.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4\n% demo statement\n').toString('base64'),
    '--mix--',
  ]),
  alert: crlf([
    'From: Alerts <alerts@demo-alerts.example>',
    'To: oncall@example.net',
    'Subject: [ALERT] Disk usage above 90% on db-1',
    'Date: Tue, 01 Dec 2026 12:00:00 +0000',
    'Message-ID: <alert.sample@demo-alerts.example>',
    '',
    'db-1: /var at 91%.',
  ]),
  dsn: crlf([
    'From: Mail Delivery System <mailer-daemon@koukan.example>',
    'To: noreply@demo-shop.example',
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Tue, 01 Dec 2026 13:00:00 +0000',
    'Message-ID: <dsn.sample@koukan.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"',
    '',
    '--rep',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your message could not be delivered to one or more recipients.',
    '--rep',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; koukan.example',
    '',
    'Final-Recipient: rfc822; customer@example.net',
    'Action: failed',
    'Status: 5.1.1',
    '--rep--',
  ]),
};

export async function storeDemoBodies(db: Db): Promise<{ messages: string[]; dsn: string }> {
  const store = async (body: string) => {
    const blob = await createBlob(db, { contentType: 'message/rfc822' });
    await writeBlobStream(db, blob.id, Readable.from([Buffer.from(body)]), { offset: 0 });
    await finalizeBlob(db, blob.id);
    return blob.id;
  };
  const messages = [
    await store(demoBodies.receipt),
    await store(demoBodies.statement),
    await store(demoBodies.alert),
  ];
  return { messages, dsn: await store(demoBodies.dsn) };
}

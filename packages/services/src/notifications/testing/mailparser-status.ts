import { simpleParser } from 'mailparser';

/** The delivery-status part's blocks as mailparser hands them over (a part of its own). */
export async function mailparserStatus(raw: Buffer) {
  const mail = await simpleParser(raw, { keepDeliveryStatus: true });
  const byType = new Map(mail.attachments.map((a) => [a.contentType, a.content.toString()]));
  const status = byType.get('message/delivery-status') ?? '';
  const blocks = status
    .replace(/\r\n[ \t]+/g, ' ') // unfold
    .split(/\r\n\r\n/)
    .filter((b) => b.trim())
    .map((b) =>
      Object.fromEntries(
        b
          .split('\r\n')
          .filter((l) => l.includes(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      ),
    );
  return { mail, byType, blocks };
}

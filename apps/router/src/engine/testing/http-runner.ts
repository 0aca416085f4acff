import type { Transaction } from '@koukan/db/schema';
import type { AttemptContext, AttemptRunner, AttemptVerdict } from '../types.ts';

/**
 * A runner that delivers over real HTTP: POSTs the envelope to a REST receiver and takes the
 * SMTP-shaped answer from its JSON reply (`{ mail, rcpt, data }`). Used by tests to exercise
 * timeouts, leases and process kills with real sockets.
 */
export class HttpRunner implements AttemptRunner {
  constructor(
    private readonly url: string,
    private readonly tag = '',
  ) {}

  async run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        transaction_id: tx.id,
        attempt_id: ctx.attemptId,
        rcpt: tx.rcptTo.map((r) => r.m),
        runner: this.tag,
      }),
      signal: ctx.signal,
    });
    const body = (await res.json()) as {
      mail?: AttemptVerdict['mailResponse'];
      rcpt?: AttemptVerdict['rcptResponse'];
      data?: AttemptVerdict['dataResponse'];
    };
    return {
      upstreamHost: new URL(this.url).host,
      ...(body.mail && { mailResponse: body.mail }),
      ...(body.rcpt && { rcptResponse: body.rcpt }),
      ...(body.data && { dataResponse: body.data }),
    };
  }
}

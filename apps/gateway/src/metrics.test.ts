import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('the SMTP reply counter', () => {
  it('shows what the tally counted at every scrape, by label set', async () => {
    const m = createMetrics();
    const labels = (stage: string, cls: string) => () => ({ listener: 'mx', stage, class: cls });
    m.smtpReplyTally.inc('mx rcpt 2xx', labels('rcpt', '2xx'));
    m.smtpReplyTally.inc('mx rcpt 2xx', labels('rcpt', '2xx'));
    m.smtpReplyTally.inc('mx data 5xx', labels('data', '5xx'));
    const first = await m.registry.metrics();
    expect(first).toContain(
      'koukan_gateway_smtp_replies_total{listener="mx",stage="rcpt",class="2xx"} 2',
    );
    expect(first).toContain(
      'koukan_gateway_smtp_replies_total{listener="mx",stage="data",class="5xx"} 1',
    );
    m.smtpReplyTally.inc('mx rcpt 2xx', labels('rcpt', '2xx'));
    const second = await m.registry.metrics();
    expect(second).toContain(
      'koukan_gateway_smtp_replies_total{listener="mx",stage="rcpt",class="2xx"} 3',
    );
    expect(second).toContain(
      'koukan_gateway_smtp_replies_total{listener="mx",stage="data",class="5xx"} 1',
    );
    const json = await m.smtpReplies.get();
    expect(json.values.map((v) => v.value).sort()).toEqual([1, 3]);
  });
});

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Increments of a labelled counter kept as plain numbers per label set, handed to prom-client
 * when the registry collects (a scrape): prom-client hashes and checks the labels on every
 * `inc`, and the SMTP listener counts three replies per message.
 */
export class Tally {
  private readonly cells = new Map<string, { labels: Record<string, string>; n: number }>();

  /** Adds one for `labels`; `key` names that label set (the same key, the same labels). */
  inc(key: string, labels: () => Record<string, string>): void {
    const cell = this.cells.get(key);
    if (cell) cell.n++;
    else this.cells.set(key, { labels: labels(), n: 1 });
  }

  /** The counter's `collect`: what was counted since the last one goes to prom-client. */
  flushTo(counter: Counter): void {
    for (const cell of this.cells.values()) {
      if (cell.n === 0) continue;
      counter.inc(cell.labels, cell.n);
      cell.n = 0;
    }
  }
}

/** The gateway's Prometheus metrics, on their own registry (served at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const replies = new Tally();
  return {
    registry,
    /** `koukan_gateway_smtp_replies_total`, counted through a Tally. */
    smtpReplyTally: replies,
    smtpConnections: new Gauge({
      name: 'koukan_gateway_smtp_connections',
      help: 'Open inbound SMTP connections',
      labelNames: ['listener'],
      registers: [registry],
    }),
    smtpReplies: new Counter({
      name: 'koukan_gateway_smtp_replies_total',
      help: 'Inbound SMTP replies given for MAIL, RCPT and DATA, by class',
      labelNames: ['listener', 'stage', 'class'],
      registers: [registry],
      collect() {
        replies.flushTo(this);
      },
    }),
    smtpRefusedData: new Counter({
      name: 'koukan_gateway_smtp_data_refused_total',
      help: 'Messages refused by the DATA inspector (smuggling guard, limits)',
      labelNames: ['listener', 'reason'],
      registers: [registry],
    }),
    outboundDeliveries: new Counter({
      name: 'koukan_gateway_outbound_deliveries_total',
      help: 'Outbound deliveries by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    outboundDuration: new Histogram({
      name: 'koukan_gateway_outbound_delivery_seconds',
      help: 'Time to deliver one outbound transaction',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    outboundConnections: new Gauge({
      name: 'koukan_gateway_outbound_connections',
      help: 'Open outbound SMTP/LMTP connections',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

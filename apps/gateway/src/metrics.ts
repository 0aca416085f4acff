import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on their own registry (served at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
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

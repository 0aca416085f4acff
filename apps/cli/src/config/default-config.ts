import { defaultChains } from '@koukan/chain/defaults';
import type { ConfigFile } from '@koukan/db/config';
import type { FilterConfig } from '@koukan/db/schema';

const retry = { schedule: ['1m', '5m', '15m', '1h', '4h'], max_age: '5d' };
const descriptions: Record<string, string> = {
  'smtp-mx': 'Inbound SMTP (MX): explodes into smtp-mx-output',
  'smtp-mx-output': 'Inbound mail, one recipient per transaction',
  'smtp-msa': 'SMTP submission (MSA): explodes into smtp-msa-output',
  'smtp-msa-output': 'Submitted mail, one recipient per transaction, to the internet',
  submission: 'REST submission',
  sandbox: 'Stores mail for inspection in the console instead of delivering it',
};

/**
 * The built-in configuration imported on first start when no KOUKAN_CONFIG is given
 * (DESIGN.md §7): senders smtp-mx, smtp-msa, submission (REST) and sandbox, the exploders'
 * upstream senders, and the chains of @koukan/chain's defaultChains(), each sender named
 * after its chain.
 */
export function defaultConfig(options: {
  smarthost?: string;
  gatewayUrl: string;
  /** KOUKAN_INBOUND_URL: inbound (MX) mail goes to this receiving application. */
  inboundUrl?: string;
  /**
   * KOUKAN_INBOUND_LMTP: inbound mail goes through the gateway, whose default next hop
   * (KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP=lmtp://…, set by whoever runs the gateway) is that server.
   */
  inboundLmtp?: string;
}): ConfigFile {
  if (options.inboundUrl && options.inboundLmtp) {
    throw new Error('give one of KOUKAN_INBOUND_URL and KOUKAN_INBOUND_LMTP, not both');
  }
  const chains = defaultChains({
    smarthost: options.smarthost,
    gatewayUrl: options.gatewayUrl,
    inboundUrl: options.inboundUrl,
  });
  const mxOutput = chains['smtp-mx-output'];
  if (mxOutput && options.inboundUrl) {
    // The receiving application has a token of its own (KOUKAN_SECRET_RECEIVER): the `inbound`
    // secret is the gateway's token, which must never reach another application.
    chains['smtp-mx-output'] = mxOutput.map((f) =>
      f.filter === 'rest_output' ? { ...f, api_key_ref: 'receiver' } : f,
    );
  } else if (mxOutput && options.inboundLmtp) {
    // The gateway chooses the LMTP server itself: no next hop may travel with the create.
    chains['smtp-mx-output'] = mxOutput.map((f) =>
      f.filter === 'rest_output' ? { ...f, send_remote_hosts: false } : f,
    );
  } else if (mxOutput && !options.inboundUrl) {
    // Inbound mail has no mailbox to go to in a fresh install: it lands in the sandbox inbox
    // (an operator points smtp-mx-output at LMTP or a receiving application later).
    chains['smtp-mx-output'] = mxOutput.map((f) =>
      f.filter === 'rest_output' ? { filter: 'sandbox', mailbox: 'inbound' } : f,
    );
  }
  const upstream = new Set(['smtp-mx-output', 'smtp-msa-output', 'submission']);
  return {
    sender: Object.keys(chains).map((name) => ({
      name,
      description: descriptions[name] ?? '',
      output_chain: name,
      ...(upstream.has(name) && { retry }),
      ...(name === 'smtp-msa-output' && { notification: { enabled: true, sender: 'submission' } }),
    })),
    chain: Object.entries(chains).map(([name, chain]) => ({
      name,
      description: descriptions[name] ?? '',
      filters: chain as FilterConfig[],
    })),
    domain: [],
  };
}

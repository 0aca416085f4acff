import { defaultChains } from '@koukan/chain/defaults';
import type { ConfigFile } from '@koukan/db/config';
import type { FilterConfig } from '@koukan/db/schema';

const retry = { schedule: ['1m', '5m', '15m', '1h', '4h'], max_age: '5d' };
const descriptions: Record<string, string> = {
  'smtp-mx': 'Inbound SMTP (MX): explodes into smtp-mx-output',
  'smtp-mx-output': 'Inbound mail, one recipient per transaction, kept in the sandbox inbox',
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
export function defaultConfig(options: { smarthost?: string; gatewayUrl: string }): ConfigFile {
  const chains = defaultChains({ smarthost: options.smarthost, gatewayUrl: options.gatewayUrl });
  // Inbound mail has no mailbox to go to in a fresh install: it lands in the sandbox inbox
  // (an operator points smtp-mx-output at LMTP or a receiving application later).
  const mxOutput = chains['smtp-mx-output'];
  if (mxOutput) {
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
    endpoint: Object.entries(chains).map(([name, chain]) => ({
      name,
      description: descriptions[name] ?? '',
      chain: chain as FilterConfig[],
    })),
    domain: [],
  };
}

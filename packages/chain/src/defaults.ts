import type { ChainInput } from './schemas.ts';

export type DefaultChainOptions = {
  /** `host:port`: deliver every outbound message there instead of looking up MX records
   * (the app passes `KOUKAN_SMARTHOST`; this package never reads the environment) */
  smarthost?: string;
  /** the gateway's transaction API (outbound SMTP) */
  gatewayUrl?: string;
  /** where inbound (MX) mail is handed over: a receiving application or the gateway's LMTP side */
  inboundUrl?: string;
  /** domains the MX accepts mail for */
  localDomains?: string[];
  /**
   * A fixed DKIM key for REST submissions (secret `dkim/<domain>`); by default `dkim_sign` has
   * no keys and signs with the sending domains' keys (`koukan domain add`)
   */
  dkim?: { domain: string; selector: string };
};

/**
 * The seed's chains (DESIGN.md §7), keyed by chain (sender) name:
 * `smtp-mx` → router → exploder → `smtp-mx-output`; `smtp-msa` → exploder(msa) →
 * `smtp-msa-output` (received_header → dkim_sign → …); `submission` (REST) → message_builder →
 * dkim_sign → … → rest_output(gateway) — `dkim_sign` signs with the sending domains' keys;
 * `sandbox` stores mail for the console.
 */
export function defaultChains(opts: DefaultChainOptions = {}): Record<string, ChainInput> {
  const gateway = opts.gatewayUrl ?? 'http://localhost:8001';
  const outboundRouting: ChainInput = opts.smarthost
    ? [{ filter: 'router', policies: [{ type: 'smarthost', smarthost: opts.smarthost }] }]
    : [
        { filter: 'router', policies: [{ type: 'destination_domain' }] },
        { filter: 'dns_resolution' },
      ];
  const toGateway: ChainInput[number] = {
    filter: 'rest_output',
    url: gateway,
    sender: 'outbound',
    api_key_ref: 'gateway',
    // above response_timeout (300 s) so the output's own timeout answers first
    timeout: 360,
  };
  const dkim: ChainInput[number] = opts.dkim
    ? {
        filter: 'dkim_sign',
        keys: [
          { ...opts.dkim, algorithm: 'rsa-sha256', private_key_ref: `dkim/${opts.dkim.domain}` },
        ],
      }
    : { filter: 'dkim_sign' };
  return {
    'smtp-mx': [
      {
        filter: 'router',
        policies: [{ type: 'address_list', domains: opts.localDomains ?? ['localhost'] }],
        // Anything else is a relay attempt, and is answered as one.
        reject: { code: 550, enhanced: '5.7.1', message: 'relaying denied' },
      },
      { filter: 'exploder', output_chain: 'smtp-mx-output', msa: false },
    ],
    'smtp-mx-output': [
      { filter: 'received_header' },
      { filter: 'auth_check' },
      {
        filter: 'rest_output',
        url: opts.inboundUrl ?? gateway,
        sender: 'inbound',
        api_key_ref: 'inbound',
      },
    ],
    'smtp-msa': [{ filter: 'exploder', output_chain: 'smtp-msa-output', msa: true }],
    'smtp-msa-output': [{ filter: 'received_header' }, dkim, ...outboundRouting, toGateway],
    submission: [{ filter: 'message_builder' }, dkim, ...outboundRouting, toGateway],
    sandbox: [{ filter: 'message_builder' }, { filter: 'sandbox', mailbox: 'sandbox' }],
  };
}

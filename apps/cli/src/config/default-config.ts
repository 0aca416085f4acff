import type { ConfigFile } from '@koukan/db/config';

/**
 * The built-in configuration imported on first start when no KOUKAN_CONFIG is given
 * (DESIGN.md §7): senders smtp-mx, smtp-msa, submission (REST) and sandbox, and their chains.
 */
export function defaultConfig(options: { smarthost?: string; gatewayUrl: string }): ConfigFile {
  const nextHop = options.smarthost
    ? [{ filter: 'router', policies: [{ kind: 'smarthost', smarthost: options.smarthost }] }]
    : [
        { filter: 'router', policies: [{ kind: 'destination_domain' }] },
        { filter: 'dns_resolution' },
      ];
  const output = (name: string) => ({
    name,
    chain: [...nextHop, { filter: 'rest_output', url: options.gatewayUrl }],
  });
  const retry = { schedule: ['1m', '5m', '15m', '1h', '4h'], max_age: '5d' };
  return {
    sender: [
      { name: 'smtp-mx', description: 'Inbound SMTP (MX)', output_chain: 'smtp-mx' },
      { name: 'smtp-mx-output', output_chain: 'smtp-mx-output', retry },
      { name: 'smtp-msa', description: 'SMTP submission (MSA)', output_chain: 'smtp-msa' },
      {
        name: 'smtp-msa-output',
        output_chain: 'smtp-msa-output',
        retry,
        notification: { enabled: true, sender: 'submission' },
      },
      { name: 'submission', description: 'REST submission', output_chain: 'submission', retry },
      {
        name: 'sandbox',
        description: 'Stores mail for inspection instead of delivering it',
        output_chain: 'sandbox',
      },
    ],
    endpoint: [
      {
        name: 'smtp-mx',
        chain: [
          { filter: 'router', policies: [{ kind: 'address_list', domains: ['localhost'] }] },
          { filter: 'exploder', output_chain: 'smtp-mx-output', msa: false },
        ],
      },
      output('smtp-mx-output'),
      {
        name: 'smtp-msa',
        chain: [{ filter: 'exploder', output_chain: 'smtp-msa-output', msa: true }],
      },
      output('smtp-msa-output'),
      {
        name: 'submission',
        chain: [{ filter: 'message_builder' }, ...output('submission').chain],
      },
      { name: 'sandbox', chain: [{ filter: 'message_builder' }, { filter: 'sandbox' }] },
    ],
  };
}

import { z } from 'zod';
import {
  type ChainEntryInput,
  type FilterName,
  filterConfigSchemas,
  filterNames,
} from './schemas.ts';

type Meta = { description: string; terminal: boolean; example: ChainEntryInput };

/** Human-readable descriptions and example entries, for the console editor and the README. */
export const filterMeta: {
  [N in FilterName]: Meta & { example: Extract<ChainEntryInput, { filter: N }> };
} = {
  router: {
    description:
      'Recipient routing policies (destination domain, address lists with + delimiters, static next hop); rejects recipients no policy accepts.',
    terminal: false,
    example: {
      filter: 'router',
      policies: [
        {
          type: 'address_list',
          addresses: ['postmaster@example.com'],
          action: 'accept',
          smarthost: 'mail.internal:25',
        },
        { type: 'address_list', prefixes: ['noreply-'], action: 'reject' },
        { type: 'destination_domain' },
      ],
    },
  },
  exploder: {
    description:
      'Fans a multi-recipient transaction out into one stored transaction per recipient on output_chain (runs in the delivery engine).',
    terminal: true,
    example: {
      filter: 'exploder',
      output_chain: 'smtp-msa-output',
      msa: true,
      rcpt_timeout: 30,
      data_timeout: 300,
    },
  },
  dns_resolution: {
    description:
      'MX then A/AAAA (implicit MX) for the destination domain; null MX and NXDOMAIN fail permanently.',
    terminal: false,
    example: { filter: 'dns_resolution', static_hosts: { 'example.test': ['127.0.0.1:2525'] } },
  },
  message_builder: {
    description:
      'Builds RFC 822 from the message-builder JSON body (text/html, inline parts, attachments).',
    terminal: false,
    example: { filter: 'message_builder', message_id_domain: 'mail.example.com' },
  },
  message_parser: {
    description: 'Parses RFC 822 into the message-builder JSON shape for receiving applications.',
    terminal: false,
    example: { filter: 'message_parser', inline_limit: 65536 },
  },
  dkim_sign: {
    description: 'DKIM-signs with RSA or Ed25519 keys per signing domain and selector.',
    terminal: false,
    example: {
      filter: 'dkim_sign',
      keys: [
        {
          domain: 'example.com',
          selector: 'rsa1',
          algorithm: 'rsa-sha256',
          private_key_ref: 'dkim/example.com/rsa1',
        },
        {
          domain: 'example.com',
          selector: 'ed1',
          algorithm: 'ed25519-sha256',
          private_key_ref: 'dkim/example.com/ed1',
        },
      ],
    },
  },
  auth_check: {
    description:
      'SPF, DKIM, DMARC and ARC checks; adds Authentication-Results and exposes the results to later filters.',
    terminal: false,
    example: { filter: 'auth_check', authserv_id: 'mx.example.com' },
  },
  received_header: {
    description: 'Prepends an RFC 5321 Received: header with TLS and AUTH details.',
    terminal: false,
    example: { filter: 'received_header', hostname: 'mx.example.com' },
  },
  policy: {
    description:
      'Match rules (addresses, domains, client CIDR, TLS, AUTH, recipient count, auth results; all/any/not) → reject, log or tag.',
    terminal: false,
    example: {
      filter: 'policy',
      rules: [
        {
          name: 'dmarc-reject',
          match: {
            all: [
              { auth: { dmarc: ['fail'], dmarc_policy: ['reject'] } },
              { not: { authenticated: true } },
            ],
          },
          action: 'reject',
          response: { code: 550, enhanced: '5.7.1', message: 'DMARC policy violation' },
        },
        { match: { client_cidr: ['10.0.0.0/8'] }, action: 'tag', tag: 'internal' },
      ],
    },
  },
  add_route: {
    description:
      "Copies the transaction to another sender's chain (archiving, journaling), synchronously or as a stored transaction.",
    terminal: false,
    example: {
      filter: 'add_route',
      sender: 'archive',
      mode: 'async',
      rcpt_to: ['journal@example.com'],
    },
  },
  rest_output: {
    description:
      "Terminal output speaking Koukan's transaction protocol to the next hop (gateway or receiving application).",
    terminal: true,
    example: {
      filter: 'rest_output',
      url: 'http://localhost:8001',
      sender: 'outbound',
      api_key_ref: 'gateway',
    },
  },
  sandbox: {
    description:
      "Accepts the message and stores it in the console's sandbox inbox instead of delivering it.",
    terminal: true,
    example: { filter: 'sandbox', mailbox: 'sandbox' },
  },
};

export type CatalogueEntry = {
  name: FilterName;
  description: string;
  terminal: boolean;
  example: ChainEntryInput;
  /** the zod schema of the filter's config (without `filter`/`timeout`) */
  schema: z.ZodType;
  /** the same as JSON Schema (input side, defaults shown), for the console's editor */
  jsonSchema: Record<string, unknown>;
};

/** The filter catalogue: every filter with its description, example and config schema. */
export function filterCatalogue(): CatalogueEntry[] {
  return filterNames.map((name) => ({
    name,
    description: filterMeta[name].description,
    terminal: filterMeta[name].terminal,
    example: filterMeta[name].example,
    schema: filterConfigSchemas[name],
    jsonSchema: z.toJSONSchema(filterConfigSchemas[name], {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>,
  }));
}

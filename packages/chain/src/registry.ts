import type { FilterContext, FilterTx } from './filter.ts';
import { addRoute } from './filters/add-route.ts';
import { authCheck } from './filters/auth-check.ts';
import { dkimSign } from './filters/dkim-sign.ts';
import { dnsResolution } from './filters/dns-resolution.ts';
import { messageBuilder } from './filters/message-builder.ts';
import { messageParser } from './filters/message-parser.ts';
import { policy } from './filters/policy.ts';
import { receivedHeader } from './filters/received-header.ts';
import { restOutput } from './filters/rest-output.ts';
import { router } from './filters/router.ts';
import { sandbox } from './filters/sandbox.ts';
import type { EntryOf, FilterName } from './schemas.ts';
import type { FilterResult } from './types.ts';

/** A filter's implementation, typed by its chain entry (config plus `filter`/`timeout`). */
export type FilterRun<N extends FilterName> = (
  tx: FilterTx,
  config: EntryOf<N>,
  ctx: FilterContext,
) => Promise<FilterResult>;

export type FilterImpl<N extends FilterName> = {
  /** true when the filter ends the chain */
  terminal: boolean;
  /** absent when the host must supply it (`exploder` lives in the delivery engine) */
  run?: FilterRun<N>;
};

/** The typed registry: one implementation per filter name, checked by the compiler. */
export const filterRegistry: { [N in FilterName]: FilterImpl<N> } = {
  router: { terminal: false, run: router },
  exploder: { terminal: true },
  dns_resolution: { terminal: false, run: dnsResolution },
  message_builder: { terminal: false, run: messageBuilder },
  message_parser: { terminal: false, run: messageParser },
  dkim_sign: { terminal: false, run: dkimSign },
  auth_check: { terminal: false, run: authCheck },
  received_header: { terminal: false, run: receivedHeader },
  policy: { terminal: false, run: policy },
  add_route: { terminal: false, run: addRoute },
  rest_output: { terminal: true, run: restOutput },
  sandbox: { terminal: true, run: sandbox },
};

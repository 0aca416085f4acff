import { hostname } from 'node:os';
import {
  type Chain,
  type ChainContext,
  type ChainResult,
  type ChainTransaction,
  type DnsResolve,
  type FilterRun,
  runChain,
  systemResolver,
  validateChain,
} from '@koukan/chain';
import { type Db, getBlob, readBlobStream } from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { storedSpecOf } from '@koukan/services';
import type { Logger } from 'pino';
import type { AttemptContext, AttemptRunner, AttemptVerdict } from '../engine/types.ts';
import { blobReader, envSecrets, routeSubmitter, sandboxStore } from './chain-ports.ts';

export interface ChainRunnerOptions {
  db: Db;
  logger: Logger;
  /** KOUKAN_SECRET_* values by variable name. */
  secrets?: ReadonlyMap<string, string>;
  dns?: DnsResolve;
  hostname?: string;
  /** Host implementations of filters the chain library leaves to the router (exploder). */
  implementations?: { exploder?: FilterRun<'exploder'> };
}

/**
 * The engine's AttemptRunner over @koukan/chain: runs the transaction through its sender's
 * output chain (validated once per chain version) and reports the terminal output's answers
 * as the attempt's verdict.
 */
export function chainRunner(options: ChainRunnerOptions): AttemptRunner {
  const validated = new Map<string, Chain | string>();
  const host = options.hostname ?? hostname();
  const secrets = envSecrets(options.secrets ?? new Map());

  function compiled(chain: NonNullable<AttemptContext['chain']>): Chain | string {
    const key = `${chain.id}:${chain.version}`;
    let entry = validated.get(key);
    if (!entry) {
      const result = validateChain(chain.filters);
      entry = result.ok
        ? result.chain
        : `chain ${chain.name} is invalid: ${result.errors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ')}`;
      validated.set(key, entry);
    }
    return entry;
  }

  return {
    async run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict> {
      if (!ctx.sender || !ctx.chain) {
        return configProblem(`sender ${ctx.sender?.name ?? tx.senderId} has no output chain`);
      }
      const chain = compiled(ctx.chain);
      if (typeof chain === 'string') return configProblem(chain);
      const logger = options.logger.child({ tx: tx.id, attempt: ctx.attemptId });
      const chainCtx: ChainContext = {
        logger,
        dns: options.dns ?? systemResolver,
        blobs: blobReader(options.db, tx),
        sandbox: sandboxStore(options.db, tx),
        routes: routeSubmitter(options.db, tx),
        secrets,
        hostname: host,
      };
      const result = await runChain(chain, await chainTransaction(options.db, tx, ctx), chainCtx, {
        implementations: options.implementations,
      });
      return verdictOf(result);
    },
  };
}

async function chainTransaction(
  db: Db,
  tx: Transaction,
  ctx: AttemptContext,
): Promise<ChainTransaction> {
  const spec = storedSpecOf(tx.bodySpec);
  const blob = tx.bodyBlobId ? await getBlob(db, tx.bodyBlobId) : undefined;
  const bodyBlobId = tx.bodyBlobId;
  return {
    id: tx.id,
    sender: ctx.sender?.name ?? '',
    mail_from: tx.mailFrom,
    rcpt_to: tx.rcptTo,
    ...(tx.metadata.session ? { session: tx.metadata.session as ChainTransaction['session'] } : {}),
    ...(bodyBlobId && {
      body: { open: () => readBlobStream(db, bodyBlobId), ...(blob && { size: blob.size }) },
    }),
    ...(spec && { message_builder: spec.message_builder }),
  };
}

/** The chain's verdicts as the attempt's upstream answers, persisted as they are. */
export function verdictOf(result: ChainResult): AttemptVerdict {
  const response = (v: { response: { code: number; message: string; enhanced?: string } }) => ({
    code: v.response.code,
    message: v.response.enhanced ? `${v.response.enhanced} ${v.response.message}` : v.response.message,
  });
  const hosts = result.tx.routing?.remote_hosts;
  return {
    ...(hosts?.[0] && { upstreamHost: `${hosts[0].host}${hosts[0].port ? `:${hosts[0].port}` : ''}` }),
    mailResponse: response(result.mail),
    rcptResponse: result.rcpt.map(response),
    ...(result.data && { dataResponse: response(result.data) }),
    events: result.events.map((e) => ({
      type: e.type,
      data: { filter: e.filter, index: e.index, ...e.data },
    })),
  };
}

function configProblem(message: string): AttemptVerdict {
  return {
    mailResponse: { code: 451, message: `4.3.5 ${message}` },
    events: [{ type: 'config_error', data: { message } }],
  };
}

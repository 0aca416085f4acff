import {
  accept,
  type BlobReader,
  bodyFromBuffer,
  type ChainContext,
  type ChainTransaction,
  type DnsResolve,
  filterRegistry,
  type MessageBuilderInput,
  runChain,
  systemResolver,
  type Verdict,
  validateChain,
} from '@koukan/chain';
import { getChainByName, getTransaction, readBlobStream } from '@koukan/db';
import { chainNameSchema, senderNameSchema } from '@koukan/db/schema';
import { headerSectionLimit, MAX_HEADER_BYTES } from '@koukan/protocol/schemas';
import { z } from 'zod';
import { type BuilderBlobRef, storedSpecOf } from '../../blobs/body-spec.ts';
import { nowOf, type ServiceCall, type ServiceContext } from '../../context.ts';
import { createDkimKeyStore } from '../../domains/signing-keys.ts';
import { AppError, parseInput } from '../../errors.ts';
import { recipientSchema, reversePathSchema, sessionSchema } from '../../transactions/schemas.ts';
import { requireChain, validFilters } from '../schemas.ts';
import {
  type DryRunStep,
  recordingImplementations,
  throwawayKey,
  throwawaySecrets,
} from './recorder.ts';

export const dryRunInput = z.strictObject({
  /** A saved chain by name, or the editor's unsaved filters. */
  chain: z.union([
    z.strictObject({ name: chainNameSchema }),
    z.strictObject({ filters: z.array(z.unknown()) }),
  ]),
  /** The sender the chain runs for (filters may look at it); default: the chain's name. */
  sender: senderNameSchema.optional(),
  /** Default: the transaction's envelope, when the message is one. */
  envelope: z
    .strictObject({
      mail_from: reversePathSchema,
      rcpt_to: z.array(recipientSchema).min(1).max(100),
    })
    .optional(),
  /** The SMTP session to pretend (client address, HELO…); default: the transaction's. */
  session: sessionSchema.optional(),
  message: z.union([
    z.strictObject({
      raw: z
        .string()
        .min(1)
        .max(10 * 1024 * 1024),
    }),
    z.strictObject({ transaction_id: z.uuid() }),
    z.strictObject({ message_builder: z.record(z.string(), z.unknown()) }),
  ]),
});

export interface DryRunResult {
  steps: DryRunStep[];
  /** The chain's answer: MAIL, per recipient (final), DATA. */
  final: { mail: Verdict; rcpt: Verdict[]; data?: Verdict };
  stopped_at?: number;
  /** The route chosen: next hops and destination domain, as the last filter left them. */
  routing: Record<string, unknown>;
  /** Secret references the chain asked for (answered with throwaway keys). */
  secrets_replaced: string[];
  /** The timeline events the filters recorded (errors and timeouts among them). */
  events: { index: number; filter: string; type: string; data?: Record<string, unknown> }[];
}

/** What the host supplies that a test may replace (DNS; the default is the system's). */
export interface DryRunPorts {
  dns?: DnsResolve;
}

const MAX_DEPTH = 3;

/** The chain transaction, with the blobs of a stored message-builder body. */
type DryTx = ChainTransaction & { blobRefs?: BuilderBlobRef[] };

/**
 * Runs a chain (saved, or edited and unsaved) against an envelope and a message without
 * delivering anything: `rest_output` and the exploder's fan-out are replaced by a recorder,
 * the `sandbox` and `add_route` ports record instead of storing, and secrets are throwaway
 * keys. Returns each filter's verdict, the headers it added and the routing after it, the
 * route chosen and the final reply. An exploder's output chain is dry-run too (nested).
 * DNS lookups are real (read-only), unless `ports.dns` replaces them.
 */
export async function dryRunChain(
  { ctx, input }: ServiceCall<z.input<typeof dryRunInput>>,
  ports: DryRunPorts = {},
): Promise<DryRunResult> {
  const i = parseInput(dryRunInput, input);
  const filters =
    'name' in i.chain
      ? validFilters((await requireChain(ctx.db, i.chain.name, 'chain.name')).filters)
      : validFilters(i.chain.filters, 'chain.filters');
  const tx = await transactionOf(ctx, i);
  return run(ctx, filters, tx, ports, 0);
}

async function run(
  ctx: ServiceContext,
  filters: unknown[],
  tx: DryTx,
  ports: DryRunPorts,
  depth: number,
): Promise<DryRunResult> {
  const steps: DryRunStep[] = [];
  const current = () => steps.at(-1)!;
  const asked = new Set<string>();
  const chainContext: ChainContext = {
    logger: ctx.logger.child({ dry_run: true }),
    dns: ports.dns ?? systemResolver,
    secrets: throwawaySecrets(asked),
    // the sending domains' keys as configured (selectors, algorithms), but throwaway private
    // keys: a dry run never decrypts the real ones, and needs no secrets key
    dkimKeys: createDkimKeyStore({
      db: ctx.db,
      key: undefined,
      ttlMs: 0,
      now: () => nowOf(ctx),
      privateKeyOf: async (k) => throwawayKey(k.algorithm),
    }),
    hostname: 'dry-run.koukan.invalid',
    blobs: blobReader(ctx, tx),
    sandbox: {
      async store(msg) {
        let size = 0;
        for await (const c of msg.body) size += (c as Buffer).length;
        current().recorded = {
          would: 'keep in the sandbox',
          mailbox: msg.mailbox ?? 'sandbox',
          size,
        };
        return { id: 'dry-run' };
      },
    },
    routes: {
      async enqueue(sender, copy) {
        copy.body.resume();
        current().recorded = { would: 'copy', sender, rcpt_to: copy.rcpt_to.map((r) => r.m) };
        return { id: 'dry-run' };
      },
      async runSync(sender, copy) {
        current().recorded = {
          would: 'copy (sync)',
          sender,
          rcpt_to: copy.rcpt_to.map((r) => r.m),
        };
        return { rcpt: copy.rcpt_to.map(() => accept(250, '2.0.0', 'dry run')) };
      },
    },
  };
  const implementations = recordingImplementations(steps, {
    dkim_sign: async (ftx, config, fctx) => {
      const ed25519 = new Set(
        (config.keys ?? [])
          .filter((k) => k.algorithm === 'ed25519-sha256')
          .map((k) => k.private_key_ref),
      );
      const before = new Set((await ftx.headers()).map((h) => h.raw));
      const result = await filterRegistry.dkim_sign.run!(ftx, config, {
        ...fctx,
        secrets: throwawaySecrets(asked, ed25519),
      });
      const signatures = (await ftx.headers())
        .filter((h) => !before.has(h.raw) && /^dkim-signature$/i.test(h.name))
        .map((h) => {
          const tag = (t: string) => new RegExp(`(?:^|;)\\s*${t}=([^;]*)`).exec(h.value)?.[1];
          return `${tag('s')?.trim()}._domainkey.${tag('d')?.trim()} ${tag('a')?.trim()}`;
        });
      if (signatures.length > 0) {
        current().recorded = {
          would: 'sign',
          signatures,
          private_keys: 'throwaway (the real keys are not read in a dry run)',
        };
      }
      return result;
    },
    rest_output: async (ftx, config) => {
      current().recorded = {
        would: 'deliver',
        url: config.url,
        sender: config.sender,
        rcpt_to: ftx.rcptTo.map((r) => r.m),
        remote_hosts: ftx.routing.remote_hosts ?? [],
      };
      return {
        kind: 'done',
        data: accept(250, '2.0.0', `dry run: not delivered to ${config.url}`),
      };
    },
    exploder: async (ftx, config) => {
      const step = current();
      step.recorded = {
        would: 'fan out',
        output_chain: config.output_chain,
        rcpt_to: ftx.rcptTo.map((r) => r.m),
      };
      const out = await getChainByName(ctx.db, config.output_chain);
      if (!out || depth + 1 >= MAX_DEPTH) {
        return { kind: 'done', data: accept(250, '2.0.0', 'dry run: fan-out recorded') };
      }
      const copy = {
        ...tx,
        mail_from: ftx.mailFrom,
        rcpt_to: ftx.rcptTo,
        ...(ftx.body && { body: ftx.body }),
      };
      const nested = await run(ctx, validFilters(out.filters), copy, ports, depth + 1);
      step.nested = { chain: out.name, version: out.version, ...nested };
      return {
        kind: 'done',
        rcpt: nested.final.rcpt,
        ...(nested.final.data && { data: nested.final.data }),
      };
    },
  });
  // Validated again for its output: the filters' defaults applied, as the engine runs them.
  const valid = validateChain(filters);
  if (!valid.ok) throw new AppError('bad_request', 'invalid chain');
  const result = await runChain(valid.chain, tx, chainContext, { implementations });
  return {
    steps,
    final: { mail: result.mail, rcpt: result.rcpt, ...(result.data && { data: result.data }) },
    ...(result.stoppedAt !== undefined && { stopped_at: result.stoppedAt }),
    routing: { ...result.tx.routing },
    secrets_replaced: [...asked].sort(),
    events: result.events.map((e) => ({
      index: e.index,
      filter: e.filter,
      type: e.type,
      ...(e.data && { data: e.data }),
    })),
  };
}

/**
 * A pasted message whose header section is larger than the gateway accepts is refused: the
 * dry run shows what real mail would meet, and a header of a million lines would occupy the
 * console's one thread for a minute in the parsing filters.
 */
function refuseOversizedHeader(raw: string): void {
  if (headerSectionLimit()(Buffer.from(raw))) return;
  const over = `header section over ${MAX_HEADER_BYTES} bytes`;
  throw new AppError('bad_request', `message.raw: ${over}`, {
    details: [{ field: 'message.raw', message: `${over} (the gateway refuses it: 552 5.3.4)` }],
  });
}

/** The chain's view of the message: pasted, built, or an existing transaction's body. */
async function transactionOf(ctx: ServiceContext, i: z.output<typeof dryRunInput>): Promise<DryTx> {
  const sender = i.sender ?? ('name' in i.chain ? i.chain.name : 'dry-run');
  const base = {
    id: '00000000-0000-4000-8000-000000000000',
    sender,
    ...(i.session && { session: i.session as ChainTransaction['session'] }),
  };
  if (!('transaction_id' in i.message)) {
    if (!i.envelope) {
      throw new AppError('bad_request', 'envelope: required with a pasted or built message', {
        details: [{ field: 'envelope', message: 'required' }],
      });
    }
    const envelope = { mail_from: i.envelope.mail_from, rcpt_to: i.envelope.rcpt_to };
    if ('raw' in i.message) {
      const raw = i.message.raw.replace(/\r?\n/g, '\r\n');
      refuseOversizedHeader(raw);
      return { ...base, ...envelope, body: bodyFromBuffer(raw) };
    }
    return {
      ...base,
      ...envelope,
      message_builder: i.message.message_builder as MessageBuilderInput,
    };
  }
  const stored = await getTransaction(ctx.db, i.message.transaction_id);
  if (!stored) {
    throw new AppError('not_found', `no transaction ${i.message.transaction_id}`, {
      details: [{ field: 'message.transaction_id', message: 'unknown transaction' }],
    });
  }
  const envelope = i.envelope ?? { mail_from: stored.mailFrom, rcpt_to: stored.rcptTo };
  const session = stored.metadata.session as ChainTransaction['session'] | undefined;
  if (!i.session && session) Object.assign(base, { session });
  const spec = storedSpecOf(stored.bodySpec);
  if (spec) {
    return {
      ...base,
      ...envelope,
      message_builder: spec.message_builder as MessageBuilderInput,
      blobRefs: spec.blobs,
    };
  }
  const blobId = stored.bodyBlobId;
  if (!blobId) {
    throw new AppError('unprocessable', 'that transaction has no body (any more)', {
      details: [{ field: 'message.transaction_id', message: 'no body' }],
    });
  }
  return { ...base, ...envelope, body: { open: () => readBlobStream(ctx.db, blobId) } };
}

/** Parts of a stored message-builder body are read from their blobs. */
function blobReader(ctx: ServiceContext, tx: DryTx): BlobReader {
  return {
    open(ref) {
      const found = tx.blobRefs?.find((b) =>
        'create_id' in ref ? b.create_id === ref.create_id : b.reuse_uri === ref.reuse_uri,
      );
      if (!found) throw new Error(`no blob for part ${JSON.stringify(ref)}`);
      return readBlobStream(ctx.db, found.blob_id);
    },
  };
}

import { generateKeyPairSync } from 'node:crypto';
import {
  type FilterName,
  type FilterRun,
  filterRegistry,
  type HeaderField,
  type SecretStore,
  type Verdict,
} from '@koukan/chain';

/** What one filter did in a dry run. */
export interface DryRunStep {
  index: number;
  filter: string;
  /** `continue`, or `done` (the chain stopped here). */
  result: 'continue' | 'done';
  mail?: Verdict;
  /** Per recipient still in play when the filter ran (in their order); null: no answer. */
  rcpt?: (Verdict | null)[];
  data?: Verdict;
  /** Header lines the filter added (raw, unfolded as written). */
  headers_added: string[];
  /** The routing decision after this filter (next hops, destination domain…). */
  routing: Record<string, unknown>;
  /** What a terminal output or side effect would have done instead. */
  recorded?: Record<string, unknown>;
  /** Nested dry runs (an exploder's output chain). */
  nested?: unknown;
}

const raw = (h: HeaderField[]) => h.map((f) => f.raw);

/**
 * Wraps every filter of the registry (or its replacement) so each step's verdict, added
 * headers and routing are recorded. Filters run in chain order, once each, so the n-th call
 * is the n-th entry.
 */
export function recordingImplementations(
  steps: DryRunStep[],
  replacements: { [N in FilterName]?: FilterRun<N> },
): { [N in FilterName]?: FilterRun<N> } {
  const out: Record<string, FilterRun<FilterName>> = {};
  for (const name of Object.keys(filterRegistry) as FilterName[]) {
    const run = (replacements[name] ?? filterRegistry[name].run) as
      | FilterRun<FilterName>
      | undefined;
    if (!run) continue;
    out[name] = async (tx, config, ctx) => {
      const step: DryRunStep = {
        index: steps.length,
        filter: name,
        result: 'continue',
        headers_added: [],
        routing: {},
      };
      steps.push(step);
      const before = new Set(raw(await tx.headers()));
      const result = await run(tx, config, ctx);
      step.result = result.kind;
      if (result.kind === 'done') {
        if (result.mail) step.mail = result.mail;
        if (result.data) step.data = result.data;
      }
      if (result.rcpt) step.rcpt = result.rcpt.map((v) => v ?? null);
      step.headers_added = raw(await tx.headers()).filter((h) => !before.has(h));
      step.routing = structuredClone({ ...tx.routing });
      return result;
    };
  }
  return out as { [N in FilterName]?: FilterRun<N> };
}

const throwaway: Partial<Record<'rsa-sha256' | 'ed25519-sha256', string>> = {};

/** A throwaway private key (PEM) of the algorithm, made once per process. */
export function throwawayKey(algorithm: 'rsa-sha256' | 'ed25519-sha256'): string {
  throwaway[algorithm] ??= (
    algorithm === 'ed25519-sha256'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: 1024 })
  ).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return throwaway[algorithm];
}

/**
 * Secrets for a dry run: never the real ones. Each reference gets a throwaway key (so
 * `dkim_sign` shows the header it would add): Ed25519 for the references `ed25519` names
 * (a `dkim_sign` key of that algorithm), RSA otherwise; the references asked for are listed.
 */
export function throwawaySecrets(asked: Set<string>, ed25519 = new Set<string>()): SecretStore {
  return {
    get(ref) {
      asked.add(ref);
      return throwawayKey(ed25519.has(ref) ? 'ed25519-sha256' : 'rsa-sha256');
    },
  };
}

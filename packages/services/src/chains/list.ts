import { listChains, listSenders } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { type ChainView, chainView } from './schemas.ts';

export interface ChainSummary extends ChainView {
  /** Senders whose output chain this is. */
  senders: string[];
  /** Chains whose `exploder` hands recipients to this one. */
  used_by_chains: string[];
}

/** Every chain, by name, with the senders (and exploders) that use it. */
export async function chainList({ ctx }: ServiceCall<unknown>): Promise<ChainSummary[]> {
  const [chains, senders] = await Promise.all([listChains(ctx.db), listSenders(ctx.db)]);
  return chains.map((c) => ({
    ...chainView(c),
    senders: senders.filter((s) => s.outputChain === c.name).map((s) => s.name),
    used_by_chains: chains
      .filter((o) => o.filters.some((f) => f.filter === 'exploder' && f.output_chain === c.name))
      .map((o) => o.name),
  }));
}

import { type DbOrTx, listChains, listDomains } from '@koukan/db';

const REF_KEYS = new Set(['private_key_ref', 'api_key_ref']);

/** Secret names a filter config refers to (`*_ref` keys, at any depth). */
function secretRefsOf(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) secretRefsOf(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (REF_KEYS.has(k) && typeof v === 'string') into.add(v);
      else secretRefsOf(v, into);
    }
  }
  return into;
}

/** Who uses a secret: `chain <name>` and `domain <name> key <selector>` entries. */
export async function secretUsers(db: DbOrTx, name: string): Promise<string[]> {
  const [chains, domains] = await Promise.all([listChains(db), listDomains(db)]);
  return [
    ...chains.filter((c) => secretRefsOf(c.filters).has(name)).map((c) => `chain ${c.name}`),
    ...domains.flatMap((d) =>
      d.keys.filter((k) => k.secretName === name).map((k) => `domain ${d.name} key ${k.selector}`),
    ),
  ];
}

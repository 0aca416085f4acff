import type { DbOrTx } from '@koukan/db';
import { canonicalJson, type DomainWithKeys, listDomains } from '@koukan/db';
import { type DomainConfig, keyConflicts } from '@koukan/db/config';

export interface DomainPreview {
  name: string;
  change: 'create' | 'update' | 'unchanged';
  /** whether its settings (SPF, DMARC, MTA-STS, TLS-RPT) would change */
  settings_changed: boolean;
  /** selectors of the file that the database lacks (added), and those whose schedule moves */
  keys_added: string[];
  keys_rescheduled: string[];
}

const schedule = (k: { active_from: string; retire_at: string | null }) =>
  `${new Date(k.active_from).toISOString()} ${k.retire_at ? new Date(k.retire_at).toISOString() : ''}`;

/**
 * What importing the file's domains would do (as `importDomain` does: settings replaced, keys
 * added by selector, schedules moved; nothing removed), the database's domains the file leaves
 * alone, and the keys it would refuse (an existing selector given another key).
 */
export async function previewDomains(
  db: DbOrTx,
  inFile: DomainConfig[],
): Promise<{
  domains: DomainPreview[];
  notInFile: string[];
  problems: { field: string; message: string }[];
}> {
  const existing = new Map<string, DomainWithKeys>((await listDomains(db)).map((d) => [d.name, d]));
  const problems: { field: string; message: string }[] = [];
  const domains = inFile.map((d, i): DomainPreview => {
    const have = existing.get(d.name);
    for (const c of keyConflicts(have, d)) {
      problems.push({ field: `domain[${i}].keys[${c.index}].${c.field}`, message: c.message });
    }
    if (!have) {
      return {
        name: d.name,
        change: 'create',
        settings_changed: true,
        keys_added: d.keys.map((k) => k.selector),
        keys_rescheduled: [],
      };
    }
    const byselector = new Map(have.keys.map((k) => [k.selector, k]));
    const keys_added = d.keys.filter((k) => !byselector.has(k.selector)).map((k) => k.selector);
    const keys_rescheduled = d.keys
      .filter((k) => {
        const h = byselector.get(k.selector);
        return (
          h &&
          schedule(k) !==
            schedule({
              active_from: h.activeFrom.toISOString(),
              retire_at: h.retireAt?.toISOString() ?? null,
            })
        );
      })
      .map((k) => k.selector);
    const settings_changed = canonicalJson(have.settings) !== canonicalJson(d.settings);
    const changed = settings_changed || keys_added.length > 0 || keys_rescheduled.length > 0;
    return {
      name: d.name,
      change: changed ? 'update' : 'unchanged',
      settings_changed,
      keys_added,
      keys_rescheduled,
    };
  });
  const names = new Set(inFile.map((d) => d.name));
  return { domains, notInFile: [...existing.keys()].filter((n) => !names.has(n)), problems };
}

import { type DbOrTx, type DomainWithKeys, getDomainByName } from '@koukan/db';
import type { DomainSettings } from '@koukan/db/schema';
import { fieldError } from '../errors.ts';
import { type KeyState, keyState } from './keys.ts';
import { type DnsRecord, domainRecords, type MtaStsPolicy } from './records.ts';

export interface DomainKeyView {
  selector: string;
  algorithm: string;
  state: KeyState;
  /** the secret holding the private key (its value is never shown) */
  secret: string;
  active_from: string;
  retire_at: string | null;
  created_at: string;
}

/** A domain as the CLI and the console show it: keys, and the records to publish. */
export interface DomainView {
  name: string;
  settings: DomainSettings;
  version: number;
  created_at: string;
  updated_at: string;
  keys: DomainKeyView[];
  records: DnsRecord[];
  /** records of retired keys, to remove from DNS */
  retired_records: DnsRecord[];
  mta_sts_policy?: MtaStsPolicy;
}

export function domainView(d: DomainWithKeys, now: Date): DomainView {
  const { records, retired, mtaStsPolicy } = domainRecords(d, now);
  return {
    name: d.name,
    settings: d.settings,
    version: d.version,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    keys: d.keys.map((k) => ({
      selector: k.selector,
      algorithm: k.algorithm,
      state: keyState(k, d.keys, now),
      secret: k.secretName,
      active_from: k.activeFrom.toISOString(),
      retire_at: k.retireAt?.toISOString() ?? null,
      created_at: k.createdAt.toISOString(),
    })),
    records,
    retired_records: retired,
    ...(mtaStsPolicy && { mta_sts_policy: mtaStsPolicy }),
  };
}

/** The domain named `name` with its keys; `not_found` when there is none. */
export async function requireDomain(db: DbOrTx, name: string): Promise<DomainWithKeys> {
  const d = await getDomainByName(db, name);
  if (!d) {
    throw fieldError('not_found', `no domain named "${name}"`, 'name', 'no such domain');
  }
  return d;
}

import { dkimSign as mailauthSign } from 'mailauth';
import { headerValue } from '../body.ts';
import type { FilterTx } from '../filter.ts';
import type { FilterRun } from '../registry.ts';
import { temp } from '../responses.ts';
import { domainOf } from '../rfc5322.ts';
import type { ChainContext, DkimSigningKey } from '../types.ts';
import type { DkimSignConfig } from './dkim-sign.schema.ts';

type Key = NonNullable<DkimSignConfig['keys']>[number];

/** Domain of the first address in a From: header value. */
export function fromDomain(from: string | undefined): string {
  if (!from) return '';
  const m = /<([^>]*)>/.exec(from) ?? /([^\s,;]+@[^\s,;]+)/.exec(from);
  return domainOf(m?.[1] ?? '');
}

const keyApplies = (key: Key, domain: string) =>
  key.when === 'always' ||
  domain === key.domain.toLowerCase() ||
  domain.endsWith(`.${key.domain.toLowerCase()}`);

class KeysUnavailable extends Error {}

/** Explicit keys of the config that apply to the From: domain, their secrets resolved. */
async function explicitKeys(
  tx: FilterTx,
  config: DkimSignConfig,
  domain: string,
  ctx: ChainContext,
): Promise<DkimSigningKey[]> {
  const out: DkimSigningKey[] = [];
  for (const k of (config.keys ?? []).filter((k) => keyApplies(k, domain))) {
    const privateKey = await ctx.secrets?.get(k.private_key_ref);
    if (!privateKey) {
      const key = `${k.selector}._domainkey.${k.domain}`;
      if (config.require_signature) throw new KeysUnavailable(key);
      tx.event('dkim_key_unavailable', { key });
      continue;
    }
    out.push({ domain: k.domain, selector: k.selector, algorithm: k.algorithm, privateKey });
  }
  return out;
}

/**
 * Keys of the sending domains: the From: domain's, and the envelope sender's when it is another
 * domain of ours. A From: domain that is not ours, or has no active key, is said in an event.
 */
async function domainKeys(
  tx: FilterTx,
  from: string,
  ctx: ChainContext,
): Promise<DkimSigningKey[]> {
  const envelope = domainOf(tx.mailFrom.m ?? '');
  const lookup = async (d: string) => {
    try {
      return await ctx.dkimKeys?.keysFor(d);
    } catch (err) {
      // e.g. a key that cannot be decrypted: deferred, never sent unsigned in silence
      ctx.logger.error({ err, domain: d }, 'DKIM keys unavailable');
      tx.event('dkim_key_unavailable', { domain: d, error: String((err as Error).message) });
      throw new KeysUnavailable(d);
    }
  };
  const fromKeys = from ? await lookup(from) : undefined;
  if (!fromKeys || fromKeys.keys.length === 0) {
    tx.event('dkim_from_domain_unsigned', {
      from_domain: from,
      reason: !ctx.dkimKeys
        ? 'no domain keys configured for this chain'
        : fromKeys
          ? `domain ${fromKeys.domain} has no active DKIM key`
          : 'not a sending domain of this Koukan',
    });
  }
  const keys = [...(fromKeys?.keys ?? [])];
  if (envelope && envelope !== from) {
    const envKeys = await lookup(envelope);
    for (const k of envKeys?.keys ?? []) {
      if (!keys.some((s) => s.domain === k.domain && s.selector === k.selector)) keys.push(k);
    }
  }
  return keys;
}

/**
 * DKIM-sign the body: with the config's keys that match the From: domain (or `when: always`),
 * or, without `keys`, with the sending domains' keys (RFC 8463 dual RSA + Ed25519 signatures).
 * The body is read once to compute the signatures; the signed body re-streams the original.
 */
export const dkimSign: FilterRun<'dkim_sign'> = async (tx, config, ctx) => {
  const fail = (message: string) => {
    const v = temp(message, 451, '4.3.0');
    return { kind: 'done' as const, data: v };
  };
  if (!tx.body) return { kind: 'continue' };
  const domain = fromDomain(headerValue(await tx.headers(), 'from'));
  let keys: DkimSigningKey[];
  try {
    keys = config.keys
      ? await explicitKeys(tx, config, domain, ctx)
      : await domainKeys(tx, domain, ctx);
  } catch (err) {
    if (err instanceof KeysUnavailable) return fail(`DKIM key ${err.message} is not available`);
    throw err;
  }
  if (keys.length === 0) {
    if (config.require_signature) return fail(`no DKIM key for ${domain || 'this message'}`);
    tx.event('dkim_unsigned', { from_domain: domain });
    return { kind: 'continue' };
  }
  const signatureData = keys.map((k) => ({
    signingDomain: k.domain,
    selector: k.selector,
    privateKey: k.privateKey,
    algorithm: k.algorithm,
    canonicalization: config.canonicalization,
  }));
  const result = await mailauthSign(tx.openBody(), {
    // the first key doubles as the top-level options mailauth's typings ask for
    signingDomain: signatureData[0]!.signingDomain,
    selector: signatureData[0]!.selector,
    privateKey: signatureData[0]!.privateKey,
    canonicalization: config.canonicalization,
    ...(config.header_list ? { headerList: config.header_list } : {}),
    signatureData,
    ...(ctx.now ? { signTime: ctx.now() } : {}),
  });
  if (result.errors?.length) {
    // mailauth's errors name the key domain/selector, never the key material
    ctx.logger.warn(
      { errors: result.errors.map((e) => String(e.message ?? e)) },
      'DKIM signing failed',
    );
    return fail('DKIM signing failed');
  }
  const signatures = result.signatures.replace(/\r\n$/, '');
  tx.prependHeaders(signatures.split(/\r\n(?=DKIM-Signature:)/i));
  tx.event('dkim_signed', {
    signatures: signatureData.map(
      (k) => `${k.selector}._domainkey.${k.signingDomain} ${k.algorithm}`,
    ),
  });
  return { kind: 'continue' };
};

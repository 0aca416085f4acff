import { dkimSign as mailauthSign } from 'mailauth';
import { headerValue } from '../body.ts';
import type { FilterRun } from '../registry.ts';
import { temp } from '../responses.ts';
import { domainOf } from '../rfc5322.ts';
import type { DkimSignConfig } from './dkim-sign.schema.ts';

type Key = DkimSignConfig['keys'][number];

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

/**
 * DKIM-sign the body with every key whose domain matches the From: domain (or `when: always`).
 * The body is read once to compute the signatures; the signed body re-streams the original.
 */
export const dkimSign: FilterRun<'dkim_sign'> = async (tx, config, ctx) => {
  const fail = (message: string) => {
    const v = temp(message, 451, '4.3.0');
    return { kind: 'done' as const, data: v };
  };
  if (!tx.body) return { kind: 'continue' };
  const domain = fromDomain(headerValue(await tx.headers(), 'from'));
  const keys = config.keys.filter((k) => keyApplies(k, domain));
  if (keys.length === 0) {
    if (config.require_signature) return fail(`no DKIM key for ${domain || 'this message'}`);
    tx.event('dkim_unsigned', { from_domain: domain });
    return { kind: 'continue' };
  }
  const signatureData = [];
  for (const k of keys) {
    const privateKey =
      k.private_key ?? (k.private_key_ref ? await ctx.secrets?.get(k.private_key_ref) : undefined);
    if (!privateKey) {
      const key = `${k.selector}._domainkey.${k.domain}`;
      if (config.require_signature) return fail(`DKIM key ${key} is not available`);
      tx.event('dkim_key_unavailable', { key });
      continue;
    }
    signatureData.push({
      signingDomain: k.domain,
      selector: k.selector,
      privateKey,
      algorithm: k.algorithm,
      canonicalization: config.canonicalization,
    });
  }
  if (signatureData.length === 0) return { kind: 'continue' };
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

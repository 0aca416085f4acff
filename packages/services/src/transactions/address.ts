import { isIP } from 'node:net';

/**
 * Strict RFC 5321 mailbox validation (with RFC 6531 internationalised local parts and
 * domains). Only a bare `local@domain` is accepted: no display name, no angle brackets, no
 * comments, no commas, no whitespace outside a quoted local part, and never CR, LF, NUL or any
 * other control character. Addresses validated here are later handed to nodemailer, whose
 * address parser silently rewrites anything that looks like a list or a header; nothing
 * unvalidated may reach it.
 */

// atext of RFC 5322 plus any non-ASCII character (RFC 6531 UTF8-non-ascii).
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u{80}-\\u{10FFFF}]+";
const DOT_STRING = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, 'u');
// qtextSMTP (%d32-33 / %d35-91 / %d93-126, plus non-ASCII) or a quoted pair; commas excluded.
const QUOTED_STRING =
  /^"(?:[\x20\x21\x23-\x2b\x2d-\x5b\x5d-\x7e\u{80}-\u{10FFFF}]|\\[\x20-\x2b\x2d-\x7e])*"$/u;
const LABEL =
  /^[A-Za-z0-9\u{80}-\u{10FFFF}](?:[A-Za-z0-9\-\u{80}-\u{10FFFF}]*[A-Za-z0-9\u{80}-\u{10FFFF}])?$/u;
// C0 and C1 controls, DEL, surrogates, line/paragraph separators, byte-order mark, and the
// bidirectional controls that make an address display as another (U+202A–E, U+2066–9, marks).
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|\p{Cs}/u;

export type AddressProblem = string | null;

function checkDomain(domain: string): AddressProblem {
  if (domain.length === 0) return 'the domain is empty';
  if (Buffer.byteLength(domain) > 255) return 'the domain is longer than 255 octets';
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return 'an address literal must end with "]"';
    const inner = domain.slice(1, -1);
    if (inner.toLowerCase().startsWith('ipv6:')) {
      return isIP(inner.slice(5)) === 6 ? null : 'not a valid IPv6 address literal';
    }
    return isIP(inner) === 4 ? null : 'not a valid IPv4 address literal';
  }
  for (const label of domain.split('.')) {
    if (!LABEL.test(label)) return `"${label}" is not a valid domain label`;
    if (Buffer.byteLength(label) > 63) return 'a domain label is longer than 63 octets';
  }
  return null;
}

/** Why `address` is not an acceptable RFC 5321 mailbox, or null when it is. */
export function mailboxProblem(address: string): AddressProblem {
  if (FORBIDDEN.test(address)) return 'control characters (CR, LF, NUL, …) are not allowed';
  if (address.includes(',')) return 'one address only: commas are not allowed';
  if (/[<>]/.test(address)) return 'a bare address only: no display name or angle brackets';
  if (Buffer.byteLength(address) > 254) return 'the address is longer than 254 octets';
  const at = address.lastIndexOf('@');
  if (at <= 0) return 'an address has the form local-part@domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (Buffer.byteLength(local) > 64) return 'the local part is longer than 64 octets';
  if (!DOT_STRING.test(local) && !QUOTED_STRING.test(local)) {
    return 'the local part is not a valid dot-string or quoted string';
  }
  return checkDomain(domain);
}

export function isValidMailbox(address: string): boolean {
  return mailboxProblem(address) === null;
}

/** An ESMTP parameter value (RFC 5321 esmtp-value, UTF-8 allowed per RFC 6531). */
const ESMTP_VALUE = /^[\x21-\x3c\x3e-\x7e\u{80}-\u{10FFFF}]+$/u;
export function isValidEsmtpValue(value: string): boolean {
  return !FORBIDDEN.test(value) && ESMTP_VALUE.test(value);
}

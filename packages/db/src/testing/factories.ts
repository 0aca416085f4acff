import { randomBytes } from 'node:crypto';

/** A name no other test uses, valid as a sender or chain name. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

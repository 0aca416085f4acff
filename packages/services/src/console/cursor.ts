import { AppError } from '../errors.ts';

/** An opaque keyset position: the last row's created_at (exact, text) and id. */
interface KeysetPosition {
  createdAt: string;
  id: string;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(p: KeysetPosition): string {
  return Buffer.from(`${p.createdAt}|${p.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field = 'cursor'): KeysetPosition {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !createdAt || !id || !TIME.test(createdAt) || !UUID.test(id)) {
    throw new AppError('bad_request', `${field}: not a cursor this list returned`, {
      details: [{ field, message: 'not a cursor this list returned' }],
    });
  }
  return { createdAt, id };
}

import { type AppError, fieldError } from '../errors.ts';

/** A parsed request `Content-Range`: bytes start-end/total, or `bytes *\/total` (no bytes). */
export type UploadRange =
  | { kind: 'bytes'; start: number; end: number; total: number | null }
  | { kind: 'empty'; total: number };

const BYTES = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/;
const EMPTY = /^bytes \*\/(\d{1,15})$/;

function bad(message: string): AppError {
  return fieldError('bad_request', `Content-Range: ${message}`, 'headers.content-range', message);
}

/**
 * Parses `Content-Range: bytes <start>-<end>/<total|*>` (end inclusive, RFC 9110) or
 * `bytes *\/<total>` (finalize with no further bytes). Undefined when the header is absent.
 */
export function parseContentRange(header: string | undefined): UploadRange | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const empty = EMPTY.exec(value);
  if (empty) return { kind: 'empty', total: Number(empty[1]) };
  const m = BYTES.exec(value);
  if (!m)
    throw bad(
      'expected "bytes <start>-<end>/<total>", "bytes <start>-<end>/*" or "bytes */<total>"',
    );
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? null : Number(m[3]);
  if (end < start) throw bad('the last byte position is before the first');
  if (total !== null && end >= total) throw bad('the range ends beyond the total length');
  return { kind: 'bytes', start, end, total };
}

import { AppError } from '@koukan/services';

export const etagOf = (version: number) => `"${version}"`;

function versionOf(tag: string): number | null {
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(tag.trim());
  return m ? Number(m[1]) : null;
}

/** The version named by `If-Match`; 400 when it is not one of our ETags. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const v = versionOf(header);
  if (v === null) {
    throw new AppError('bad_request', 'If-Match must be an ETag of this API, e.g. "3"', {
      details: [{ field: 'headers.if-match', message: 'not an ETag of this API' }],
    });
  }
  return v;
}

/** True when `If-None-Match` matches the current version (`*` matches anything). */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => t.trim() === '*' || versionOf(t) === version);
}

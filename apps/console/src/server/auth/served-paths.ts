/**
 * Only the endpoints better-auth serves reach it. Its rate limiter runs before its router and
 * keys a database row (`auth_rate_limits`) by client address and path, so a stranger's made-up
 * path under /api/auth — any number of them, each as long as a URL — would each add a row.
 * Refused here instead, before any counter: 404, nothing written.
 */
const SEGMENT_PARAM = '[^/]{1,256}'; // a `:token` or `:id` segment, as long as a real one

/** The request's path as better-auth's rate limiter keys it (its `normalizePathname`). */
export function authPath(url: string, basePath: string): string {
  const pathname = new URL(url).pathname.replace(/\/+$/, '') || '/';
  const base = basePath.replace(/\/+$/, '');
  if (pathname === base) return '/';
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : pathname;
}

/** A matcher of the paths of `endpoints` (better-auth's `auth.api`), `:param` as one segment. */
export function servedPaths(endpoints: Record<string, unknown>): (path: string) => boolean {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const endpoint of Object.values(endpoints)) {
    const path = (endpoint as { path?: unknown }).path;
    if (typeof path !== 'string') continue;
    if (!path.includes(':')) exact.add(path);
    else {
      const source = path
        .split('/')
        .map((s) => (s.startsWith(':') ? SEGMENT_PARAM : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      patterns.push(new RegExp(`^${source}$`));
    }
  }
  return (path) => exact.has(path) || patterns.some((p) => p.test(path));
}

export function notServed(): Response {
  return Response.json({ message: 'Not found' }, { status: 404 });
}

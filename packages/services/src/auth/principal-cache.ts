import { hash } from 'node:crypto';
import type { ServiceCall } from '../context.ts';
import { authenticate, type Principal } from './authenticate.ts';

export type Authenticate = (
  call: ServiceCall<{ authorization: string | undefined }>,
) => Promise<Principal>;

/** An `Authenticate` with a memory that a change notification can wipe. */
export type CachedAuthenticate = Authenticate & {
  /**
   * Forgets every remembered principal (an API key was revoked, a sender disabled): the next
   * request with any key reads the database again. A lookup still running is not remembered.
   */
  clear(): void;
};

/**
 * `authenticate` with a memory of the principals it resolved during the last `ttlMs`, so the
 * request path does not read the database on every call. A revoked key, a disabled sender or a
 * key's new sender is therefore seen by this process within `ttlMs` (0: every call reads), or at
 * once when the host calls `clear()` on the database's change notification (the router does).
 * Only successes are remembered; entries are keyed by a hash of the header, never the key.
 */
export function cachedAuthenticate(ttlMs: number, maxEntries = 10_000): CachedAuthenticate {
  if (ttlMs <= 0)
    return Object.assign((call: Parameters<Authenticate>[0]) => authenticate(call), {
      clear() {},
    });
  // The lookup itself is remembered while it runs, so a burst of requests with one key (the
  // SMTP gateway's) makes one query, not one each.
  const cache = new Map<string, { principal: Promise<Principal>; expires: number }>();
  const cached: Authenticate = async (call) => {
    const header = call.input.authorization;
    if (!header) return authenticate(call);
    // one-shot: no Hash object per request
    const id = hash('sha256', header, 'base64');
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && hit.expires > now) return hit.principal;
    const principal = authenticate(call);
    if (cache.size >= maxEntries) cache.clear();
    const entry = { principal, expires: Number.POSITIVE_INFINITY };
    cache.set(id, entry);
    principal.then(
      () => {
        entry.expires = Date.now() + ttlMs;
      },
      () => {
        if (cache.get(id) === entry) cache.delete(id);
      },
    );
    return principal;
  };
  // A lookup that began before a clear may have read the key before its revocation: clear()
  // drops it from the map too, so it answers the requests already waiting on it and no others.
  return Object.assign(cached, { clear: () => cache.clear() });
}

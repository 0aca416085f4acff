import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** The one header better-auth reads the client's address from (auth.ts); only the server sets it. */
export const CLIENT_IP_HEADER = 'x-koukan-client-ip';

/** Headers by which a client could claim another address, or another host or scheme. */
const ADDRESS_CLAIMS = ['forwarded', 'x-forwarded-for', 'x-real-ip', CLIENT_IP_HEADER];
const ORIGIN_CLAIMS = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'];

/** A comma-separated list of IP addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
export const trustedProxies = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const list = new BlockList();
    for (const entry of value.split(',').map((e) => e.trim())) {
      if (!entry) continue;
      const [address = '', prefix, ...rest] = entry.split('/');
      const family = isIP(address);
      const max = family === 4 ? 32 : 128;
      const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (!family || rest.length > 0 || !(bits <= max)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range` });
        return z.NEVER;
      }
      list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
    }
    return list;
  });

/** `::ffff:192.0.2.1` as `192.0.2.1`. */
function unmapped(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

function isTrusted(trusted: BlockList, ip: string): boolean {
  return trusted.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then the
 * right-most X-Forwarded-For address that is not a trusted proxy (each trusted hop appended
 * the address it saw; what lies left of that is the client's own claim). A hop that is not an
 * address stops the walk at the last address a trusted proxy vouched for.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList,
): string {
  let client = unmapped(peer);
  const hops = [forwardedFor ?? []].flat().join(',').split(',');
  while (isTrusted(trusted, client) && hops.length > 0) {
    const hop = unmapped(hops.pop()!.trim());
    if (!isIP(hop)) break;
    client = hop;
  }
  return client;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * The console's HTTP server: before `handle` (Next.js) sees a request, the client's forwarding
 * headers are dropped (a trusted proxy's X-Forwarded-Host and -Proto are kept) and
 * CLIENT_IP_HEADER and X-Forwarded-For carry the address `clientAddress` decided.
 */
export function createConsoleServer(trusted: BlockList, handle: Handler): Server {
  return createServer((req, res) => {
    const peer = req.socket.remoteAddress;
    if (!peer) return void res.destroy(); // the connection is already gone
    const client = clientAddress(peer, req.headers['x-forwarded-for'], trusted);
    const claims = isTrusted(trusted, unmapped(peer))
      ? ADDRESS_CLAIMS
      : [...ADDRESS_CLAIMS, ...ORIGIN_CLAIMS];
    for (const header of claims) delete req.headers[header];
    req.headers[CLIENT_IP_HEADER] = client;
    req.headers['x-forwarded-for'] = client;
    void handle(req, res);
  });
}

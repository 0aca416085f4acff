import dns2 from 'dns2';

const { Packet } = dns2;
type DnsHandler = dns2.DnsHandler;

/**
 * A small authoritative DNS server on loopback (UDP and TCP on one port, with the truncation
 * bit and TCP retry for answers above 512 bytes, as real servers do) that serves TXT records
 * from a mutable zone. Tests use it because these machines cannot reach the internet: the
 * resolvers under test (node's, mailauth's, dkimpy's, OpenDKIM's) talk real DNS to it.
 * Names without TXT records answer NXDOMAIN.
 */
export interface LocalDns {
  port: number;
  host: string;
  /** `<host>:<port>` */
  address: string;
  /** name (no trailing dot, any case) → TXT records, each a list of character-strings */
  zone: Map<string, string[][]>;
  /** publish a value, split into character-strings of at most 255 octets */
  publish(name: string, ...values: string[]): void;
  close(): Promise<void>;
}

export async function startLocalDns(
  options: { host?: string; port?: number } = {},
): Promise<LocalDns> {
  const host = options.host ?? '127.0.0.1';
  const zone = new Map<string, string[][]>();
  const handle: DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    const records = q ? zone.get(q.name.toLowerCase().replace(/\.$/, '')) : undefined;
    if (!q || !records)
      response.header.rcode = 3; // NXDOMAIN
    else if (q.type === Packet.TYPE.TXT) {
      for (const data of records) {
        const rr = { name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data };
        response.answers.push(rr as unknown as (typeof response.answers)[number]);
      }
    }
    send(response);
  };
  // UDP on a free port, then TCP on the same one (retried when another process holds it)
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dns2.createUDPServer(handle);
    const bound = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(options.port ?? 0, host, () => resolve(true));
    });
    if (!bound) throw new Error(`cannot listen on ${host}:${options.port ?? 0}`);
    const port = udp.address().port;
    const tcp = dns2.createTCPServer(handle);
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (!ok) {
      udp.close();
      if (options.port) throw new Error(`cannot listen on ${host}:${port} (TCP)`);
      continue;
    }
    return {
      host,
      port,
      address: `${host}:${port}`,
      zone,
      publish(name, ...values) {
        zone.set(
          name.toLowerCase().replace(/\.$/, ''),
          values.map((v) => v.match(/.{1,255}/g) ?? ['']),
        );
      },
      async close() {
        udp.close();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      },
    };
  }
  throw new Error('no free port for the local DNS server');
}

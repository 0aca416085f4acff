import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';

/**
 * The embedded server's front door (issue 10 item 2): PGlite itself trusts whoever connects,
 * so the PostgreSQL startup handshake is done here first. A connection must answer an MD5
 * password challenge (node-postgres does, given the password in its URL) before a single byte
 * reaches PGlite; a wrong or missing password gets `28P01` and is closed, and so is a client
 * that does not finish the handshake within `timeoutMs`.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const MAX_STARTUP = 10_000;

/** Startup parameters PGlite must not get: the embedded server enforces these itself. */
const STRIPPED = new Set(['idle_in_transaction_session_timeout']);

interface Handshake {
  /** The startup packet to hand to PGlite (possibly rewritten), then any bytes after it. */
  forward: Buffer;
  user: string;
}

export function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    field('S', 'FATAL'),
    field('V', 'FATAL'),
    field('C', code),
    field('M', message),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

function md5(s: Buffer | string): string {
  return createHash('md5').update(s).digest('hex');
}

/** key/value pairs of a startup packet (after length and protocol version). */
function parseParams(packet: Buffer): [string, string][] {
  const parts = packet.subarray(8).toString('utf8').split('\0');
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) {
    pairs.push([parts[i]!, parts[i + 1]!]);
  }
  return pairs;
}

function buildStartup(pairs: [string, string][]): Buffer {
  const body = Buffer.from(`${pairs.map(([k, v]) => `${k}\0${v}\0`).join('')}\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([head, body]);
}

/**
 * Runs the handshake on a fresh socket. Resolves with what to forward to PGlite once the
 * password checked out, or null when the connection was refused (and closed).
 */
export function authenticate(
  socket: Socket,
  password: string,
  timeoutMs: number,
): Promise<Handshake | null> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0);
    let startup: { packet: Buffer; user: string } | undefined;
    const salt = randomBytes(4);
    const finish = (result: Handshake | null, error?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (!result) {
        if (error && socket.writable) socket.end(error);
        else socket.destroy();
        setTimeout(() => socket.destroy(), 1000).unref();
      }
      resolve(result);
    };
    const timer = setTimeout(
      () => finish(null, errorResponse('08P01', 'authentication timed out')),
      timeoutMs,
    );
    const onClose = () => finish(null);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!startup) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (length < 8 || length > MAX_STARTUP) {
            return finish(null, errorResponse('08P01', 'invalid startup packet'));
          }
          if (buffer.length < length) return;
          const packet = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
            socket.write('N'); // no TLS on the loopback server; the client goes on in clear
            continue;
          }
          if (code === CANCEL_REQUEST) return finish(null);
          if (code !== PROTOCOL_3) {
            return finish(null, errorResponse('0A000', 'unsupported frontend protocol'));
          }
          const params = parseParams(packet);
          const user = params.find(([k]) => k === 'user')?.[1] ?? '';
          const kept = params.filter(([k]) => !STRIPPED.has(k));
          startup = {
            packet: kept.length === params.length ? Buffer.from(packet) : buildStartup(kept),
            user,
          };
          const challenge = Buffer.alloc(13);
          challenge.write('R', 0, 'latin1');
          challenge.writeInt32BE(12, 1);
          challenge.writeInt32BE(5, 5); // AuthenticationMD5Password
          salt.copy(challenge, 9);
          socket.write(challenge);
          continue;
        }
        if (buffer.length < 5) return;
        const length = buffer.readInt32BE(1);
        if (buffer[0] !== 0x70 || length < 4 || length > MAX_STARTUP) {
          return finish(null, errorResponse('08P01', 'expected a password message'));
        }
        if (buffer.length < 1 + length) return;
        const given = buffer.subarray(5, 1 + length - 1); // without the trailing NUL
        const rest = buffer.subarray(1 + length);
        const want = Buffer.from(
          `md5${md5(Buffer.concat([Buffer.from(md5(password + startup.user)), salt]))}`,
        );
        if (given.length !== want.length || !timingSafeEqual(given, want)) {
          return finish(
            null,
            errorResponse('28P01', `password authentication failed for user "${startup.user}"`),
          );
        }
        return finish({ forward: Buffer.concat([startup.packet, rest]), user: startup.user });
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/**
 * PGlite has one session for every connection, so prepared statements of different connections
 * share one namespace: two connections preparing "s1" collide ("already exists"), and one could
 * run the other's. This gives each connection its own: a non-empty statement name in Parse,
 * Bind, Describe and Close is suffixed with `@<connection id>` on its way in. Portals and the
 * unnamed statement are left alone (the turn queue keeps those private to a unit of work).
 */
const PARSE = 0x50;
const BIND = 0x42;
const DESCRIBE = 0x44;
const CLOSE = 0x43;
const STATEMENT = 0x53; // 'S' in Describe / Close

/** The message with its statement name scoped to `id`, and that (scoped) name if it had one. */
export function scopeStatementName(
  message: Uint8Array,
  id: number,
): { message: Uint8Array; name?: string } {
  const type = message[0];
  let at: number; // where the statement name starts
  if (type === PARSE) at = 5;
  else if (type === BIND)
    at = skipCString(message, 5); // after the portal name
  else if ((type === DESCRIBE || type === CLOSE) && message[5] === STATEMENT) at = 6;
  else return { message };
  const end = message.indexOf(0, at);
  if (end <= at) return { message }; // the unnamed statement
  const name = `${Buffer.from(message.subarray(at, end)).toString('latin1')}@${id}`;
  const scoped = Buffer.from(name, 'latin1');
  const out = Buffer.alloc(message.length - (end - at) + scoped.length);
  out[0] = type;
  out.writeInt32BE(out.length - 1, 1);
  out.set(message.subarray(5, at), 5);
  scoped.copy(out, at);
  out.set(message.subarray(end), at + scoped.length);
  return { message: out, name };
}

function skipCString(message: Uint8Array, from: number): number {
  return message.indexOf(0, from) + 1;
}

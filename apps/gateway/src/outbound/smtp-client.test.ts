import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Sink } from '../testing/sink.ts';
import { DotStuffer, SmtpClient, SmtpClientError } from './smtp-client.ts';
import { UpstreamConnection } from './upstream.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const base = { host: '127.0.0.1', lmtp: false, hostname: 'client.test', timeoutMs: 10_000 };

/** A scripted peer: `serve` gets each accepted socket and the lines it receives. */
async function peer(serve: (socket: Socket, line: string) => void, greeting?: string) {
  const server: Server = createServer((socket) => {
    if (greeting) socket.write(greeting);
    let buffer = '';
    socket.on('data', (d) => {
      buffer += d.toString();
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        serve(socket, buffer.slice(0, i));
        buffer = buffer.slice(i + 2);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return (server.address() as { port: number }).port;
}

describe('DotStuffer', () => {
  const stuff = (...chunks: string[]) => {
    const s = new DotStuffer();
    return chunks.map((c) => s.push(Buffer.from(c)).toString()).join('') + s.end();
  };

  it('doubles a dot opening a line, also across chunks and on the first line', () => {
    expect(stuff('.a\r\nb\r\n..c\r\n')).toBe('..a\r\nb\r\n...c\r\n.\r\n');
    expect(stuff('a\r\n', '.b\r\n')).toBe('a\r\n..b\r\n.\r\n');
    expect(stuff('a\r', '\n.', 'b')).toBe('a\r\n..b\r\n.\r\n');
    expect(stuff('a.b\r\n')).toBe('a.b\r\n.\r\n');
  });

  it('makes bare line feeds CRLF and ends an unfinished last line before the dot', () => {
    expect(stuff('a\nb\r\nc')).toBe('a\r\nb\r\nc\r\n.\r\n');
    expect(stuff('a\n', '\n.x')).toBe('a\r\n\r\n..x\r\n.\r\n');
  });
});

describe('SmtpClient', () => {
  it('gives each pipelined command its own reply, multi-line replies whole', async () => {
    const port = await peer((s, line) => {
      if (line.startsWith('EHLO')) {
        // a multi-line reply cut in the middle of a line, across two writes
        s.write('250-peer.test hello\r\n250-PIPEL');
        setImmediate(() => s.write('INING\r\n250 SIZE 1000\r\n'));
      } else if (line === 'NOOP 3') s.write('250 one\r\n250-two a\r\n250 two b\r\n250 three\r\n');
    }, '220-peer.test\r\n220 ready\r\n');
    const c = await SmtpClient.connect({ ...base, port });
    cleanup.push(() => c.destroy());
    expect([...c.extensions]).toEqual([
      ['PIPELINING', ''],
      ['SIZE', '1000'],
    ]);
    c.write('NOOP 1');
    c.write('NOOP 2');
    c.write('NOOP 3');
    expect([await c.next(), await c.next(), await c.next()]).toEqual([
      { code: 250, message: 'one' },
      { code: 250, message: 'two a\ntwo b' },
      { code: 250, message: 'three' },
    ]);
  });

  it('a refused greeting is an error carrying the reply', async () => {
    const port = await peer(() => {}, '554 5.7.1 go away\r\n');
    const err = await SmtpClient.connect({ ...base, port }).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpClientError);
    expect(err).toMatchObject({ responseCode: 554, response: '554 5.7.1 go away' });
  });

  it('a peer that never greets times out', async () => {
    const port = await peer(() => {});
    const err = await SmtpClient.connect({ ...base, port, timeoutMs: 150 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('falls back to HELO, and an unasked reply ends the connection', async () => {
    let socket: Socket | undefined;
    const port = await peer((s, line) => {
      socket = s;
      s.write(line.startsWith('EHLO') ? '502 no\r\n' : '250 hi\r\n');
    }, '220 old peer\r\n');
    const c = await SmtpClient.connect({ ...base, port });
    cleanup.push(() => c.destroy());
    expect(c.extensions.size).toBe(0);
    expect(c.closed).toBe(false);
    const gone = new Promise((r) => socket!.once('close', r));
    socket!.write('421 4.4.2 idle too long\r\n');
    await gone;
    expect(c.closed).toBe(true);
  });
});

describe('UpstreamConnection on smtp-server', () => {
  it('upgrades with STARTTLS, reports each recipient, sends the body dot-stuffed and whole', async () => {
    const sink = await new Sink({
      rcpt: (to) => (to.startsWith('no') ? '550 5.1.1 no such' : undefined),
    }).start();
    cleanup.push(() => sink.close());
    const conn = await UpstreamConnection.open(
      { host: '127.0.0.1', port: sink.port, lmtp: false },
      { hostname: 'client.test', timeoutMs: 10_000 },
    );
    cleanup.push(() => conn.destroy());
    const body = 'Subject: dots\r\n\r\n.first\r\nmiddle\n..second\r\nlast';
    const sent = await conn.send(
      {
        from: 'a@example.org',
        to: ['b@example.net', 'no@example.net'],
        use8BitMime: true,
        dsn: { ret: 'HDRS', envid: 'id+1', notify: ['SUCCESS', 'FAILURE'] },
      },
      Readable.from([Buffer.from(body)]),
    );
    expect(sent.error).toBeUndefined();
    expect(sent.replies.map((r) => r.code)).toEqual([250, 250, 550, 354, 250]);
    expect(sent.replies[2]).toEqual({ code: 550, enhanced: '5.1.1', message: 'no such' });
    const [got] = sink.received;
    expect(got).toMatchObject({ secure: true, to: ['b@example.net'], bodyType: '8bitmime' });
    expect(got!.body).toBe('Subject: dots\r\n\r\n.first\r\nmiddle\r\n..second\r\nlast\r\n');
  });
});

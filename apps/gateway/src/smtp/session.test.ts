import pino from 'pino';
import type { SMTPServerSession } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { ConnectionState } from './session.ts';

const route = { sender: 's', apiKey: 'k', gateway: true };

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (l: string) => lines.push(JSON.parse(l)) };
  return { logger: pino({ level }, stream), lines };
}

describe('ConnectionState', () => {
  it('makes no child logger for lines that are not written, and binds conn and txn', () => {
    const { logger, lines } = capture('warn');
    let children = 0;
    const counting = Object.assign(Object.create(logger), {
      child: (b: Record<string, unknown>) => {
        children++;
        return logger.child(b);
      },
    });
    const state = new ConnectionState('c1', '127.0.0.1', counting);
    const txn = state.startTransaction(2, route, { m: 'a@b' });
    expect(state.logs('info')).toBe(false);
    expect(txn.logs('warn')).toBe(true);
    expect(children).toBe(0);
    txn.logger.warn('x');
    expect(children).toBe(1);
    expect(lines).toMatchObject([{ conn: 'c1', txn: 'c1.2', msg: 'x' }]);
  });

  it('computes the session facts again only when what they come from changes', () => {
    const state = new ConnectionState('c1', '127.0.0.1', capture('warn').logger);
    const session = {
      remoteAddress: '127.0.0.1',
      clientHostname: '[127.0.0.1]',
      hostNameAppearsAs: 'a.example',
      transmissionType: 'ESMTP',
      tlsOptions: false,
    } as unknown as SMTPServerSession;
    let made = 0;
    const make = () => ({ helo: session.hostNameAppearsAs, n: ++made });
    const first = state.sessionFacts(session, make);
    expect(state.sessionFacts(session, make)).toBe(first);
    session.hostNameAppearsAs = 'b.example';
    expect(state.sessionFacts(session, make)).toEqual({ helo: 'b.example', n: 2 });
    session.tlsOptions = { name: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' } as never;
    expect(state.sessionFacts(session, make).n).toBe(3);
    state.credentials = { sender: 's', method: 'PLAIN', route };
    expect(state.sessionFacts(session, make).n).toBe(4);
    expect(state.sessionFacts(session, make).n).toBe(4);
  });
});

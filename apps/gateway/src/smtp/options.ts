import type { SMTPServerOptions } from 'smtp-server';
import type { ListenerConfig } from './config.ts';
import type { TlsMaterial } from './tls.ts';

/** smtp-server's options for a listener, everything but the hooks. */
export function baseOptions(c: ListenerConfig, tls: TlsMaterial): SMTPServerOptions {
  return {
    name: c.hostname,
    banner: 'Koukan',
    secure: c.implicitTls,
    key: tls.key,
    cert: tls.cert,
    // SIZE is advertised and, past it, smtp-server answers 552 whatever onData says; the DATA
    // inspector stops the upload to the router at the same limit
    size: c.maxMessageBytes,
    rejectOversized: true,
    authMethods: ['PLAIN', 'LOGIN'],
    // MX never offers AUTH; the MSA turns it on per connection once under TLS (onSecure)
    disabledCommands: c.kind === 'mx' ? ['AUTH'] : [],
    hideDSN: false,
    hideENHANCEDSTATUSCODES: false,
    hideREQUIRETLS: true,
    useProxy: c.proxyProtocol,
    disableReverseLookup: !c.reverseLookup,
    maxClients: c.maxClients,
    maxRecipients: c.maxRecipients,
    maxCommandLength: 4096,
    maxAllowedUnauthenticatedCommands: c.maxBadCommands,
    socketTimeout: c.idleTimeoutMs,
    closeTimeout: 30_000,
    // MX keeps smtp-server's 100 ms, where it catches early talkers ("421 You talk too soon");
    // the MSA and the benchmark need not pay it per connection (0)
    greetingDelay: c.greetPauseMs,
    logger: false,
  };
}

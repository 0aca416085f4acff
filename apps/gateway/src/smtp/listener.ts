import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { Metrics } from '../metrics.ts';
import { type RouterClient, RouterError } from '../router-client.ts';
import type { ListenerConfig } from './config.ts';
import { type DataOutcome, receiveData } from './data.ts';
import { KoukanSmtpServer } from './koukan-smtp-server.ts';
import { baseOptions } from './options.ts';
import {
  authFailure,
  connectRefusal,
  disabledCommands,
  mailRefusal,
  oneLine,
  type Refusal,
  replyFromRouter,
  replyFromRouterError,
  routerSession,
  type Stage,
  sessionInfo,
  toMailbox,
  tooManyRecipients,
} from './policy.ts';
import {
  attachConnection,
  ConnectionState,
  connectionOf,
  type TransactionState,
} from './session.ts';
import type { TlsMaterial } from './tls.ts';

export interface ListenerDeps {
  router: RouterClient;
  logger: Logger;
  tls: TlsMaterial;
  metrics?: Metrics;
}

type Done = (err?: Error | null) => void;

function smtpError({ code, message }: Refusal): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** One SMTP listener: smtp-server with thin hooks; the decisions live in policy.ts and data.ts. */
export class SmtpListener {
  readonly server: KoukanSmtpServer;
  private readonly perClient = new Map<string, number>();
  private readonly cancelling = new Set<Promise<unknown>>();
  private readonly sessions = new Set<ConnectionState>();
  private readonly logger: Logger;

  constructor(
    readonly config: ListenerConfig,
    private readonly deps: ListenerDeps,
  ) {
    this.logger = deps.logger.child({ listener: config.name });
    const c = config;
    this.server = new KoukanSmtpServer(
      {
        ...baseOptions(c, deps.tls),
        onConnect: (s, cb) => this.onConnect(s, cb),
        onSecure: (_socket, s, cb) => {
          s.disabledCommands = disabledCommands(c.kind, true);
          cb();
        },
        onAuth: (a, s, cb) => void this.onAuth(a, s, cb),
        onMailFrom: (a, s, cb) => void this.onMailFrom(a, s, cb),
        onRcptTo: (a, s, cb) => void this.onRcptTo(a, s, cb),
        onData: (stream, s, cb) => void this.onData(stream, s, cb),
        onClose: (s) => this.onClose(s),
      },
      {
        greetPause: c.greetPause,
        okText: (s) => {
          const state = connectionOf(s);
          const text = state?.okText;
          if (state) state.okText = undefined;
          return text;
        },
        onReset: (s) => {
          const txn = connectionOf(s)?.transaction;
          if (txn?.phase === 'envelope') this.cancel(txn, 'transaction reset');
        },
      },
    );
    this.server.on('error', (err) => this.logger.warn({ err: err.message }, 'smtp error'));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => resolve());
    });
    const port = (this.server.server.address() as AddressInfo).port;
    this.logger.info({ port, kind: this.config.kind, tls: this.config.implicitTls }, 'listening');
    return port;
  }

  /**
   * Stops accepting; open sessions get up to `graceMs` to finish, then a 421. Resolves once the
   * router has been told to cancel every transaction left open.
   */
  async close(graceMs: number): Promise<void> {
    this.server.options.closeTimeout = graceMs;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // the grace is over: whatever is still open is cancelled now, not when its socket closes
    for (const state of this.sessions) {
      if (state.transaction?.open) this.cancel(state.transaction, 'gateway shutting down');
    }
    await Promise.allSettled(this.cancelling);
  }

  private onConnect(session: SMTPServerSession, cb: Done): void {
    const ip = session.remoteAddress;
    const refusal = connectRefusal(this.perClient.get(ip) ?? 0, this.config.maxClientsPerIp);
    if (refusal) {
      cb(smtpError(refusal));
      return;
    }
    this.perClient.set(ip, (this.perClient.get(ip) ?? 0) + 1);
    const state = new ConnectionState(session.id, ip, this.logger.child({ conn: session.id }));
    attachConnection(session, state);
    this.sessions.add(state);
    session.disabledCommands = disabledCommands(this.config.kind, session.secure);
    state.sessionTimer = setTimeout(() => {
      state.logger.info('session time limit reached');
      this.server.control(session.id)?.closeWith(421, '4.4.2 Session time limit reached');
    }, this.config.sessionTimeoutMs).unref();
    this.deps.metrics?.smtpConnections.inc({ listener: this.config.name });
    state.logger.debug({ remote: ip }, 'connected');
    cb();
  }

  private onClose(session: SMTPServerSession): void {
    const state = connectionOf(session);
    if (!state) return;
    this.sessions.delete(state);
    clearTimeout(state.sessionTimer);
    if (state.transaction?.open) this.cancel(state.transaction, 'connection closed');
    const left = (this.perClient.get(state.remoteAddress) ?? 1) - 1;
    if (left > 0) this.perClient.set(state.remoteAddress, left);
    else this.perClient.delete(state.remoteAddress);
    this.deps.metrics?.smtpConnections.dec({ listener: this.config.name });
    state.logger.debug('closed');
  }

  private async onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): Promise<void> {
    const state = connectionOf(session);
    const username = auth.username ?? '';
    const password = auth.password ?? '';
    if (!state) return cb(smtpError({ code: 454, message: '4.7.0 No session' }));
    const refuse = () => {
      state.authFailures++;
      state.logger.info({ sender: username, failures: state.authFailures }, 'AUTH refused');
      cb(smtpError(authFailure(state.authFailures)));
    };
    if (!username || !password) return refuse();
    try {
      if (!(await this.deps.router.checkCredentials(username, password))) return refuse();
      state.credentials = { sender: username, apiKey: password };
      state.logger.info({ sender: username, method: auth.method }, 'authenticated');
      cb(null, { user: username });
    } catch (err) {
      cb(smtpError(this.routerFailure(err, 'auth', state.logger)));
    }
  }

  private async onMailFrom(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    cb: Done,
  ): Promise<void> {
    const state = connectionOf(session);
    if (!state) return this.answer('mail', cb, { code: 451, message: '4.3.0 No session' });
    const refused = mailRefusal(this.config.kind, Boolean(state.credentials));
    if (refused) return this.answer('mail', cb, refused);
    if (state.transaction?.open) this.cancel(state.transaction, 'new MAIL');
    const sender = state.credentials?.sender ?? this.config.sender;
    const apiKey = state.credentials?.apiKey ?? this.config.apiKey;
    if (!sender || !apiKey) {
      state.logger.error('MX listener has no API key (KOUKAN_SMTP_MX_API_KEY): mail is deferred');
      return this.answer('mail', cb, { code: 451, message: '4.3.0 Not configured, try later' });
    }
    const txn = state.startTransaction(session.transaction, sender, apiKey);
    try {
      txn.handle = await this.deps.router.create(sender, apiKey, {
        mail_from: toMailbox(address),
        rcpt_to: [],
        session: routerSession(session, state.credentials?.sender),
      });
    } catch (err) {
      txn.phase = 'done';
      return this.answer('mail', cb, this.routerFailure(err, 'mail', txn.logger));
    }
    if (!txn.open) return this.cancel(txn, 'closed during MAIL', true);
    txn.logger.info(
      {
        router_txn: txn.handle.id,
        sender,
        session: sessionInfo(this.config.name, session, state.credentials?.sender),
      },
      'MAIL: transaction created',
    );
    const mailResponse = txn.handle.json.mail_response;
    const refusal = mailResponse ? replyFromRouter(mailResponse) : undefined;
    if (refusal) txn.phase = 'done';
    else if (mailResponse) state.okText = oneLine(mailResponse.message) || undefined;
    this.answer('mail', cb, refusal);
  }

  private async onRcptTo(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    cb: Done,
  ): Promise<void> {
    const state = connectionOf(session);
    const txn = state?.transaction;
    if (txn?.failed) return this.answer('rcpt', cb, txn.failed);
    if (!state || !txn?.handle || !txn.open) {
      return this.answer('rcpt', cb, { code: 503, message: '5.5.1 Need MAIL command' });
    }
    const key = address.address.toLowerCase();
    if (txn.replies.has(key)) return this.answer('rcpt', cb, txn.replies.get(key));
    const index = txn.recipients.length;
    let refusal: Refusal | undefined;
    try {
      txn.handle = await this.deps.router.addRecipients(txn.handle, txn.apiKey, [
        toMailbox(address),
      ]);
      txn.recipients.push(address.address);
      const { value, handle } = await this.deps.router.waitFor(
        txn.handle,
        txn.apiKey,
        (t) => t.rcpt_response?.[index] ?? undefined,
        Date.now() + this.config.routerTimeoutMs,
        txn.abort.signal,
      );
      txn.handle = handle;
      refusal = replyFromRouter(value);
      if (!refusal) state.okText = oneLine(value.message) || undefined;
    } catch (err) {
      refusal =
        err instanceof RouterError && index > 0 && err.status === 422
          ? tooManyRecipients()
          : this.routerFailure(err, 'rcpt', txn.logger);
      if (err instanceof RouterError && (err.kind === 'timeout' || err.kind === 'unavailable')) {
        // the router may still take this recipient later: drop the whole transaction rather
        // than risk a delivery the client will retry (it gets 4xx for the rest of it, too)
        txn.failed = refusal;
        this.cancel(txn, 'router failed during RCPT');
      }
    }
    txn.replies.set(key, refusal);
    txn.logger.info({ rcpt: index, code: refusal?.code ?? 250 }, 'RCPT');
    this.answer('rcpt', cb, refusal);
  }

  private async onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    cb: (err?: Error | null, message?: string) => void,
  ): Promise<void> {
    const txn = connectionOf(session)?.transaction;
    if (!txn?.open) {
      stream.resume();
      const refusal = txn?.failed ?? { code: 503, message: '5.5.1 No transaction' };
      return this.answer('data', cb, refusal);
    }
    const c = this.config;
    const outcome: DataOutcome = await receiveData(stream, txn, {
      router: this.deps.router,
      limits: {
        maxBytes: c.maxMessageBytes,
        maxLineBytes: c.maxLineBytes,
        maxHeaderBytes: c.maxHeaderBytes,
        forbidBareNewline: c.bareNewline === 'reject',
      },
      routerTimeoutMs: c.routerTimeoutMs,
      dataTimeoutMs: c.dataTimeoutMs,
      cancel: (t, why) => this.cancel(t, why),
      closeConnection: (message) => this.server.control(session.id)?.closeWith(421, message),
    });
    if (txn.open) txn.phase = 'done';
    if ('accepted' in outcome) {
      txn.logger.info({ router_txn: txn.handle?.id }, 'DATA accepted');
      this.deps.metrics?.smtpReplies.inc({ listener: c.name, stage: 'data', class: '2xx' });
      return cb(null, outcome.accepted);
    }
    if (outcome.violation) {
      txn.logger.warn({ reason: outcome.violation }, 'DATA refused');
      this.deps.metrics?.smtpRefusedData.inc({ listener: c.name, reason: outcome.violation });
    }
    this.answer('data', cb, outcome.refusal);
  }

  /** Cancels the router transaction of `txn` once; `force` after a create that raced a close. */
  private cancel(txn: TransactionState, why: string, force = false): void {
    if (!txn.open && !force) return;
    txn.phase = 'cancelled';
    txn.abort.abort();
    const id = txn.handle?.id;
    if (!id) return;
    const cancelled = this.deps.router.cancel(id, txn.apiKey).then((ok) => {
      txn.logger.info({ router_txn: id, why, ok }, 'router transaction cancelled');
    });
    this.cancelling.add(cancelled);
    void cancelled.finally(() => this.cancelling.delete(cancelled));
  }

  private routerFailure(err: unknown, stage: Stage, logger: Logger): Refusal {
    if (err instanceof RouterError) {
      logger.warn({ stage, kind: err.kind, err: err.message }, 'router call failed');
      return replyFromRouterError(err, stage);
    }
    logger.error({ stage, err }, 'unexpected error');
    return { code: 451, message: '4.3.0 Temporary failure, try again later' };
  }

  private answer(stage: Stage, cb: Done, refusal: Refusal | undefined): void {
    const cls = refusal ? `${String(refusal.code)[0]}xx` : '2xx';
    this.deps.metrics?.smtpReplies.inc({ listener: this.config.name, stage, class: cls });
    cb(refusal ? smtpError(refusal) : null);
  }
}

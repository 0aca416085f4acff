import type { Logger } from 'pino';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { Metrics } from '../metrics.ts';
import {
  type RouterClient,
  RouterError,
  replyText,
  type TransactionHandle,
} from '../router-client.ts';
import { authenticate } from './auth.ts';
import { AuthThrottle } from './auth-throttle.ts';
import type { ListenerConfig } from './config.ts';
import { type DataOutcome, receiveData } from './data.ts';
import {
  dsnRefusal,
  mailRefusal,
  oneLine,
  type Refusal,
  replyFromRouter,
  replyFromRouterError,
  routerSession,
  type Stage,
  saidSmtpUtf8,
  sessionInfo,
  temporaryFailure,
  toMailbox,
  tooManyRecipients,
  tooManyTransactions,
  utf8Refusal,
} from './policy.ts';
import { connectionOf, type Done, type TransactionState } from './session.ts';

/** A refusal as the error smtp-server turns into the reply. */
export function smtpError({ code, message }: Refusal): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * SMTP commands turned into router calls: AUTH checks the credentials with the router, MAIL
 * creates the router transaction, each RCPT adds a recipient and answers with the router's
 * response for it, DATA streams the message (data.ts) and answers with the router's
 * data_response. A transaction left open (RSET, a new MAIL, a dropped connection, shutdown) is
 * cancelled at the router. The answers themselves are decided in policy.ts.
 */
export class RouterBridge {
  private readonly cancelling = new Set<Promise<unknown>>();
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly config: ListenerConfig,
    private readonly router: RouterClient,
    private readonly metrics: Metrics | undefined,
    /** Ends a connection with a 421 (the DATA phase took too long). */
    private readonly closeWith: (sessionId: string, message: string) => void,
  ) {
    this.throttle = new AuthThrottle({
      budget: config.authFailuresPerIp,
      lockoutMs: config.authLockoutMs,
      delayMs: config.authDelayMs,
    });
  }

  /** Resolves once every cancellation sent to the router has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.cancelling);
  }

  async auth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): Promise<void> {
    const deps = { config: this.config, router: this.router, throttle: this.throttle };
    try {
      const result = await authenticate(auth, session, deps);
      if ('user' in result) return cb(null, result);
      cb(smtpError(result));
    } catch (err) {
      const logger = connectionOf(session)?.logger;
      cb(smtpError(logger ? this.routerFailure(err, 'auth', logger) : temporaryFailure));
    }
  }

  /**
   * MAIL stores nothing (issue 10 item 9): the router transaction is created with the first
   * recipient the router accepts. MAIL commands per connection are bounded.
   */
  async mailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Done): Promise<void> {
    const state = connectionOf(session);
    if (!state) return this.answer('mail', cb, { code: 451, message: '4.3.0 No session' });
    const refused =
      mailRefusal(this.config.kind, Boolean(state.credentials)) ??
      utf8Refusal(address.address, saidSmtpUtf8(address.args)) ??
      dsnRefusal('mail', address.args);
    if (refused) return this.answer('mail', cb, refused);
    if (++state.mailCount > this.config.maxTransactionsPerConnection) {
      state.logger.warn({ remote: state.remoteAddress }, 'too many MAIL commands, closing');
      return this.answer('mail', cb, tooManyTransactions());
    }
    if (state.transaction?.open) this.cancel(state.transaction, 'new MAIL');
    const route =
      state.credentials?.route ??
      (this.config.sender && this.config.apiKey
        ? { sender: this.config.sender, apiKey: this.config.apiKey, gateway: true }
        : undefined);
    if (!route) {
      state.logger.error('MX listener has no API key (KOUKAN_SMTP_MX_API_KEY): mail is deferred');
      return this.answer('mail', cb, { code: 451, message: '4.3.0 Not configured, try later' });
    }
    const txn = state.startTransaction(session.transaction, route, toMailbox(address));
    const c = state.credentials;
    if (route.gateway) {
      txn.session = state.sessionFacts(session, () =>
        routerSession(session, c && { user: c.sender, method: c.method }),
      );
    }
    if (txn.logs('info')) {
      txn.logger.info(
        {
          sender: route.sender,
          session: sessionInfo(this.config.name, session, c?.sender),
        },
        'MAIL',
      );
    }
    this.answer('mail', cb, undefined);
  }

  /** The first recipient creates the router transaction; nothing is stored if it is refused. */
  private async createWith(
    txn: TransactionState,
    rcpt: ReturnType<typeof toMailbox>,
  ): Promise<{ handle: TransactionHandle } | { refusal: Refusal }> {
    try {
      const handle = await this.router.create(txn.sender, txn.apiKey, {
        mail_from: txn.mailFrom,
        rcpt_to: [rcpt],
        ...(txn.session && { session: txn.session }),
      });
      return { handle };
    } catch (err) {
      if (err instanceof RouterError && err.reply) {
        return { refusal: replyFromRouter(err.reply) ?? temporaryFailure };
      }
      if (err instanceof RouterError && err.fields.includes('body.session.auth.user')) {
        return { refusal: { code: 550, message: `5.7.1 ${oneLine(err.detail ?? 'refused')}` } };
      }
      throw err;
    }
  }

  async rcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Done): Promise<void> {
    const state = connectionOf(session);
    const txn = state?.transaction;
    if (txn?.failed) return this.answer('rcpt', cb, txn.failed);
    if (!state || !txn?.open) {
      return this.answer('rcpt', cb, { code: 503, message: '5.5.1 Need MAIL command' });
    }
    const mailFrom = session.envelope.mailFrom;
    const not8bit =
      utf8Refusal(address.address, saidSmtpUtf8(mailFrom ? mailFrom.args : false)) ??
      dsnRefusal('rcpt', address.args);
    if (not8bit) return this.answer('rcpt', cb, not8bit);
    const key = address.address.toLowerCase();
    if (txn.replies.has(key)) return this.answer('rcpt', cb, txn.replies.get(key));
    const index = txn.recipients.length;
    let refusal: Refusal | undefined;
    let okText: string | undefined;
    try {
      if (!txn.handle) {
        const created = await this.createWith(txn, toMailbox(address));
        if (!txn.open) {
          if ('handle' in created) {
            txn.handle = created.handle;
            this.cancel(txn, 'closed during RCPT', true);
          }
          return this.answer('rcpt', cb, { code: 451, message: '4.3.0 Transaction closed' });
        }
        if ('refusal' in created) {
          txn.replies.set(key, created.refusal);
          txn.logger.info({ rcpt: index, code: created.refusal.code }, 'RCPT (nothing stored)');
          return this.answer('rcpt', cb, created.refusal);
        }
        txn.handle = created.handle;
        if (txn.logs('info')) txn.logger.info({ router_txn: txn.handle.id }, 'transaction created');
        const mailResponse = txn.handle.json.mail_response;
        const mailRefused = mailResponse ? replyFromRouter(mailResponse) : undefined;
        if (mailRefused) {
          txn.failed = mailRefused;
          this.cancel(txn, 'MAIL refused by the router');
          return this.answer('rcpt', cb, mailRefused);
        }
      } else {
        txn.handle = await this.router.addRecipients(txn.handle, txn.apiKey, [toMailbox(address)]);
      }
      txn.recipients.push(address.address);
      const { value, handle } = await this.router.waitFor(
        txn.handle,
        txn.apiKey,
        (t) => t.rcpt_response?.[index] ?? undefined,
        Date.now() + this.config.routerTimeoutMs,
        txn.abort.signal,
      );
      txn.handle = handle;
      refusal = replyFromRouter(value);
      if (!refusal) okText = oneLine(replyText(value)) || undefined;
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
    if (txn.logs('info')) txn.logger.info({ rcpt: index, code: refusal?.code ?? 250 }, 'RCPT');
    this.answer('rcpt', cb, refusal, okText);
  }

  async data(stream: SMTPServerDataStream, session: SMTPServerSession, cb: Done): Promise<void> {
    const txn = connectionOf(session)?.transaction;
    if (!txn?.open) {
      stream.resume();
      const refusal = txn?.failed ?? { code: 503, message: '5.5.1 No transaction' };
      return this.answer('data', cb, refusal);
    }
    const c = this.config;
    const outcome: DataOutcome = await receiveData(stream, txn, {
      router: this.router,
      limits: {
        maxBytes: c.maxMessageBytes,
        maxLineBytes: c.maxLineBytes,
        maxHeaderBytes: c.maxHeaderBytes,
        forbidBareNewline: c.bareNewline === 'reject',
        maxReceivedHeaders: c.maxReceivedHeaders,
      },
      routerTimeoutMs: c.routerTimeoutMs,
      dataTimeoutMs: c.dataTimeoutMs,
      cancel: (t, why) => this.cancel(t, why),
      closeConnection: (message) => this.closeWith(session.id, message),
    });
    if (txn.open) txn.phase = 'done';
    if ('accepted' in outcome) {
      if (txn.logs('info')) txn.logger.info({ router_txn: txn.handle?.id }, 'DATA accepted');
      this.countReply('data', '2xx');
      return cb(null, outcome.accepted);
    }
    if (outcome.violation) {
      txn.logger.warn({ reason: outcome.violation }, 'DATA refused');
      this.metrics?.smtpRefusedData.inc({ listener: c.name, reason: outcome.violation });
    }
    this.answer('data', cb, outcome.refusal);
  }

  /** Cancels the router transaction of `txn` once; `force` after a create that raced a close. */
  cancel(txn: TransactionState, why: string, force = false): void {
    if (!txn.open && !force) return;
    txn.phase = 'cancelled';
    txn.abort.abort();
    const id = txn.handle?.id;
    if (!id) return;
    const cancelled = this.router.cancel(id, txn.apiKey).then((ok) => {
      txn.logger.info({ router_txn: id, why, ok }, 'router transaction cancelled');
    });
    this.cancelling.add(cancelled);
    void cancelled.finally(() => this.cancelling.delete(cancelled));
  }

  private routerFailure(err: unknown, stage: Stage, logger: Logger): Refusal {
    if (!(err instanceof RouterError)) logger.error({ stage, err }, 'unexpected error');
    else logger.warn({ stage, kind: err.kind, err: err.message }, 'router call failed');
    return replyFromRouterError(err, stage);
  }

  private answer(stage: Stage, cb: Done, refusal: Refusal | undefined, okText?: string): void {
    this.countReply(stage, refusal ? `${String(refusal.code)[0]}xx` : '2xx');
    cb(refusal ? smtpError(refusal) : null, okText);
  }

  private countReply(stage: Stage, cls: string): void {
    const listener = this.config.name;
    this.metrics?.smtpReplyTally.inc(`${listener}\0${stage}\0${cls}`, () => ({
      listener,
      stage,
      class: cls,
    }));
  }
}

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
import {
  authFailure,
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
import { connectionOf, type TransactionState } from './session.ts';

type Done = (err?: Error | null) => void;

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

  constructor(
    private readonly config: ListenerConfig,
    private readonly router: RouterClient,
    private readonly metrics: Metrics | undefined,
    /** Ends a connection with a 421 (the DATA phase took too long). */
    private readonly closeWith: (sessionId: string, message: string) => void,
  ) {}

  /** Resolves once every cancellation sent to the router has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.cancelling);
  }

  async auth(
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
      if (!(await this.router.checkCredentials(username, password))) return refuse();
      state.credentials = { sender: username, apiKey: password };
      state.logger.info({ sender: username, method: auth.method }, 'authenticated');
      cb(null, { user: username });
    } catch (err) {
      cb(smtpError(this.routerFailure(err, 'auth', state.logger)));
    }
  }

  async mailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Done): Promise<void> {
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
      txn.handle = await this.router.create(sender, apiKey, {
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

  async rcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Done): Promise<void> {
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
      txn.handle = await this.router.addRecipients(txn.handle, txn.apiKey, [toMailbox(address)]);
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

  async data(
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
      router: this.router,
      limits: {
        maxBytes: c.maxMessageBytes,
        maxLineBytes: c.maxLineBytes,
        maxHeaderBytes: c.maxHeaderBytes,
        forbidBareNewline: c.bareNewline === 'reject',
      },
      routerTimeoutMs: c.routerTimeoutMs,
      dataTimeoutMs: c.dataTimeoutMs,
      cancel: (t, why) => this.cancel(t, why),
      closeConnection: (message) => this.closeWith(session.id, message),
    });
    if (txn.open) txn.phase = 'done';
    if ('accepted' in outcome) {
      txn.logger.info({ router_txn: txn.handle?.id }, 'DATA accepted');
      this.metrics?.smtpReplies.inc({ listener: c.name, stage: 'data', class: '2xx' });
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
    if (err instanceof RouterError) {
      logger.warn({ stage, kind: err.kind, err: err.message }, 'router call failed');
      return replyFromRouterError(err, stage);
    }
    logger.error({ stage, err }, 'unexpected error');
    return { code: 451, message: '4.3.0 Temporary failure, try again later' };
  }

  private answer(stage: Stage, cb: Done, refusal: Refusal | undefined): void {
    const cls = refusal ? `${String(refusal.code)[0]}xx` : '2xx';
    this.metrics?.smtpReplies.inc({ listener: this.config.name, stage, class: cls });
    cb(refusal ? smtpError(refusal) : null);
  }
}

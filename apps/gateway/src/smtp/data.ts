import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import { type RouterClient, replyText } from '../router-client.ts';
import { DataInspector, type DataViolation, type InspectorLimits } from './data-inspector.ts';
import { oneLine, type Refusal, replyFromRouter, replyFromRouterError } from './policy.ts';
import type { TransactionState } from './session.ts';

export interface DataContext {
  router: RouterClient;
  limits: InspectorLimits;
  routerTimeoutMs: number;
  dataTimeoutMs: number;
  /** Cancels the router transaction (best effort). */
  cancel: (txn: TransactionState, why: string) => void;
  /** Ends the connection with a 421 (the DATA phase took too long). */
  closeConnection: (message: string) => void;
}

export type DataOutcome =
  | { accepted: string }
  | { refusal: Refusal; violation?: DataViolation['reason'] };

/** A message up to this size goes to the router in one request with a Content-Length. */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * DATA: streams the message to the router while it arrives (never buffered whole: a small one is
 * sent at the end of DATA in one piece), inspecting every chunk; at the end of DATA waits for
 * the router's data_response. A refused message stops the upload at once, the rest of DATA is
 * read and dropped, and the router transaction is cancelled; a router that fails or does not
 * answer in time gives a 451, never a 250.
 */
export function receiveData(
  stream: SMTPServerDataStream,
  txn: TransactionState,
  ctx: DataContext,
): Promise<DataOutcome> {
  const handle = txn.handle;
  if (!handle) {
    return Promise.resolve({ refusal: { code: 503, message: '5.5.1 No transaction' } });
  }
  txn.phase = 'data';
  const inspector = new DataInspector(ctx.limits);
  let held: Buffer[] = [];
  let upload: PassThrough | undefined;
  let uploaded: Promise<unknown> | undefined;
  let violation: DataViolation | undefined;
  let uploadFailed = false;
  const stopUpload = () => {
    txn.abort.abort();
    upload?.destroy();
    stream.resume();
  };
  const startUpload = (body: Buffer | PassThrough) => {
    // the router answers the upload with the DATA reply when it comes within the wait
    const wait = Math.min(30, Math.floor(ctx.routerTimeoutMs / 1000));
    uploaded = ctx.router.putBody(handle.id, txn.apiKey, body, txn.abort.signal, wait).then(
      (after) => {
        // the wait for the DATA reply starts from the version the upload left
        if (after && txn.handle?.id === after.id) txn.handle = after;
      },
      (err: unknown) => {
        if (!violation) {
          uploadFailed = true;
          stopUpload();
        }
        return err;
      },
    );
  };

  return new Promise<DataOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: DataOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      stopUpload();
      ctx.cancel(txn, 'DATA timeout');
      ctx.closeConnection('4.4.2 DATA took too long, closing connection');
      finish({ refusal: { code: 421, message: '4.4.2 DATA took too long' } });
    }, ctx.dataTimeoutMs);

    stream.on('data', (chunk: Buffer) => {
      if (violation || uploadFailed || settled) return;
      violation = inspector.feed(chunk);
      if (violation) {
        stopUpload();
        return;
      }
      let out = chunk;
      if (!upload) {
        held.push(chunk);
        if (inspector.bytes <= SMALL_BODY_BYTES) return;
        // not small: it streams from here on
        upload = new PassThrough();
        startUpload(upload);
        out = Buffer.concat(held);
        held = [];
      }
      const up = upload;
      if (!up.write(out)) {
        stream.pause();
        const resume = () => {
          up.off('drain', resume).off('close', resume);
          stream.resume();
        };
        up.on('drain', resume).on('close', resume);
      }
    });

    let ended = false;
    // the client went away in the middle of DATA: smtp-server destroys the stream without 'end'
    stream.on('close', () => {
      if (ended || settled) return;
      stopUpload();
      ctx.cancel(txn, 'connection lost during DATA');
      finish({ refusal: { code: 451, message: '4.4.2 Connection lost during DATA' } });
    });

    stream.on('end', () => {
      ended = true;
      if (settled) return;
      violation ??= inspector.end();
      if (violation) {
        stopUpload();
        ctx.cancel(txn, `refused: ${violation.reason}`);
        finish({
          refusal: { code: violation.code, message: violation.message },
          violation: violation.reason,
        });
        return;
      }
      if (upload) upload.end();
      else startUpload(held.length === 1 ? held[0]! : Buffer.concat(held));
      const deadline = Date.now() + ctx.routerTimeoutMs;
      void settle(uploaded!, txn, ctx, inspector.bytes, deadline).then(finish);
    });
  });
}

async function settle(
  uploaded: Promise<unknown>,
  txn: TransactionState,
  ctx: DataContext,
  bytes: number,
  /** For the DATA reply, counted from the end of DATA (the upload's answer may wait for it). */
  deadline: number,
): Promise<DataOutcome> {
  const err = await uploaded;
  const handle = txn.handle;
  if (err !== undefined || !handle) {
    ctx.cancel(txn, 'body upload failed');
    return { refusal: replyFromRouterError(err, 'data') };
  }
  if (txn.logs('debug')) txn.logger.debug({ bytes }, 'body uploaded');
  try {
    const { value } = await ctx.router.waitFor(
      handle,
      txn.apiKey,
      (t) => t.data_response ?? undefined,
      deadline,
      txn.abort.signal,
    );
    const refusal = replyFromRouter(value);
    return refusal ? { refusal } : { accepted: oneLine(replyText(value)) || 'OK' };
  } catch (e) {
    ctx.cancel(txn, 'no data response');
    return { refusal: replyFromRouterError(e, 'data') };
  }
}

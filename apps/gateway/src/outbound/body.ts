import { finished, Readable } from 'node:stream';
import type { SmtpReply } from '../router-client.ts';

/** Why a body could not be handed over whole, with the DATA reply the router is given for it. */
export interface BodyFailure {
  reason: 'too_large' | 'empty' | 'interrupted';
  reply: SmtpReply;
}

const interrupted: BodyFailure = {
  reason: 'interrupted',
  reply: {
    code: 451,
    enhanced: '4.3.0',
    message: 'The body upload from the router was interrupted',
  },
};

const cancelled: BodyFailure = {
  reason: 'interrupted',
  reply: { code: 451, enhanced: '4.3.0', message: 'The router cancelled this transaction' },
};

/**
 * The body of one outbound transaction, streamed from the router's PUT into the upstream's
 * DATA a chunk at a time: it is never held whole (backpressure reaches the router's socket).
 *
 * Each delivery attempt gets its own stream (`forAttempt`). The upstream client reads it only
 * after the server answered `354` to DATA, and destroys it unread when the envelope fails, so an
 * attempt that fails at connect, MAIL or RCPT leaves the body untouched for the next host.
 * Once an attempt has read from it (`consumed`), no other attempt can have the body: a failure
 * after that is reported, not retried elsewhere (the router retries the transaction later).
 *
 * The source failing (the router went away), passing `maxBytes`, or ending empty destroys the
 * attempt's stream with an error, so the upstream never gets the final dot of a partial message.
 */
export class OutboundBody {
  /** Bytes taken from the source so far. */
  bytes = 0;
  consumed = false;
  failure: BodyFailure | undefined;
  /** Settles once the source is over: read to its end (by the upstream or drained) or failed. */
  readonly sourceDone: Promise<void>;
  private sourceOver = false;
  /** The whole body was handed to the upstream attempt (its final dot follows). */
  private ended = false;
  private attempt: { out: Readable; detach: () => void } | undefined;

  constructor(
    private readonly source: Readable,
    private readonly options: { maxBytes: number; size?: number },
  ) {
    source.pause();
    this.sourceDone = new Promise((resolve) => {
      finished(source, (err) => {
        this.sourceOver = true;
        if (err) this.fail(interrupted);
        resolve();
      });
    });
  }

  static fromBuffer(body: Buffer, maxBytes: number): OutboundBody {
    return new OutboundBody(Readable.from([body]), { maxBytes, size: body.length });
  }

  /** The size announced by the router (Content-Length), for the SIZE parameter of MAIL. */
  get size(): number | undefined {
    return this.options.size;
  }

  /** A stream of the body for one upstream attempt; the source is first read when it is. */
  forAttempt(): Readable {
    const source = this.source;
    const out: Readable = new Readable({
      read: () => {
        if (!this.consumed) {
          this.consumed = true;
          if (this.failure) return void out.destroy(new Error(this.failure.reply.message));
          source.on('data', onData).on('end', onEnd);
          this.attempt = {
            out,
            detach: () => source.off('data', onData).off('end', onEnd),
          };
        }
        source.resume();
      },
    });
    const onData = (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (this.bytes > this.options.maxBytes) {
        const message = `Message too big for the gateway (max ${this.options.maxBytes} bytes)`;
        return this.fail({ reason: 'too_large', reply: { code: 552, enhanced: '5.3.4', message } });
      }
      if (!out.push(chunk)) source.pause();
    };
    const onEnd = () => {
      if (this.bytes === 0) {
        return this.fail({
          reason: 'empty',
          reply: { code: 554, enhanced: '5.6.0', message: 'Empty message' },
        });
      }
      this.attempt = undefined;
      this.ended = true;
      out.push(null);
    };
    return out;
  }

  /**
   * The delivery is over: stop feeding the attempt and read the rest of the source to its end,
   * dropping it, so the router's PUT can be answered.
   */
  release(): void {
    this.attempt?.detach();
    this.attempt = undefined;
    if (!this.sourceOver) this.source.resume();
  }

  /**
   * The router gave the transaction up: the message must not be completed upstream. True when
   * that is still possible (no body byte read yet, or the body still arriving, so the final
   * dot was not sent); false when the whole body already went to the upstream.
   */
  cancel(): boolean {
    if (this.ended && !this.failure) return false;
    this.fail(cancelled);
    return true;
  }

  /** The attempt reading the body fails (ESTREAM) instead of ending the message. */
  private fail(failure: BodyFailure): void {
    this.failure ??= failure;
    const attempt = this.attempt;
    this.attempt = undefined;
    if (!attempt) return;
    attempt.detach();
    attempt.out.destroy(new Error(this.failure.reply.message));
    if (!this.sourceOver) this.source.resume();
  }
}

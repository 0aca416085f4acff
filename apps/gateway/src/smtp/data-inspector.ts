/**
 * Inspects a DATA stream (after dot-unstuffing, as smtp-server emits it) chunk by chunk, without
 * buffering it, and reports the first reason to refuse the message. This closes what smtp-server
 * lets through with a 250: bare LF, bare CR and NUL (every SMTP-smuggling end-of-data variant
 * leaves one of them in the stream), over-long lines and headers, and a size limit that
 * smtp-server only advertises.
 */

export type DataViolationReason =
  | 'bare_lf'
  | 'bare_cr'
  | 'nul'
  | 'line_too_long'
  | 'header_too_large'
  | 'too_big'
  | 'mail_loop';

export interface DataViolation {
  reason: DataViolationReason;
  code: number;
  /** Reply text, starting with the enhanced status code. */
  message: string;
}

export interface InspectorLimits {
  maxBytes: number;
  /** Longest line, CRLF excluded (RFC 5322: 998). */
  maxLineBytes: number;
  maxHeaderBytes: number;
  /** Postfix `smtpd_forbid_bare_newline`: refuse bare LF, bare CR and NUL (the default). */
  forbidBareNewline: boolean;
  /** More `Received:` header fields than this is a mail loop (`554 5.4.6`); default 25. */
  maxReceivedHeaders?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export function violation(reason: DataViolationReason, limits: InspectorLimits): DataViolation {
  switch (reason) {
    case 'bare_lf':
      return { reason, code: 550, message: '5.6.0 Message refused: bare LF in DATA' };
    case 'bare_cr':
      return { reason, code: 550, message: '5.6.0 Message refused: bare CR in DATA' };
    case 'nul':
      return { reason, code: 550, message: '5.6.0 Message refused: NUL byte in DATA' };
    case 'line_too_long':
      return {
        reason,
        code: 550,
        message: `5.6.0 Message refused: line longer than ${limits.maxLineBytes} octets`,
      };
    case 'header_too_large':
      return {
        reason,
        code: 552,
        message: `5.3.4 Message header exceeds ${limits.maxHeaderBytes} octets`,
      };
    case 'mail_loop':
      return {
        reason,
        code: 554,
        message: `5.4.6 Too many Received headers (more than ${limits.maxReceivedHeaders ?? 25}): mail loop`,
      };
    case 'too_big':
      return {
        reason,
        code: 552,
        message: `5.3.4 Message exceeds fixed maximum message size ${limits.maxBytes}`,
      };
  }
}

export class DataInspector {
  bytes = 0;
  private prevCR = false;
  private lineBytes = 0;
  private inHeader = true;
  private headerBytes = 0;
  private failed: DataViolation | undefined;
  /** The first octets of the current header line, to recognise `Received:`. */
  private lineStart = '';
  private received = 0;

  constructor(private readonly limits: InspectorLimits) {}

  /** The first violation so far, or undefined; once failed it stays failed. */
  feed(chunk: Uint8Array): DataViolation | undefined {
    if (this.failed) return this.failed;
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) return this.fail('too_big');
    const { forbidBareNewline, maxLineBytes, maxHeaderBytes } = this.limits;
    const maxReceived = this.limits.maxReceivedHeaders ?? 25;
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      // the body, at the start of a line: whole well-formed lines are skipped by search
      if (forbidBareNewline && !this.inHeader && this.lineBytes === 0 && !this.prevCR) {
        i = this.wholeLines(buffer, i);
        if (i >= chunk.length) break;
      }
      const b = chunk[i];
      if (this.inHeader && ++this.headerBytes > maxHeaderBytes)
        return this.fail('header_too_large');
      if (this.prevCR) {
        this.prevCR = false;
        if (b === LF) {
          this.endLine();
          continue;
        }
        if (forbidBareNewline) return this.fail('bare_cr');
        this.endLine();
      }
      if (b === CR) {
        this.prevCR = true;
      } else if (b === LF) {
        if (forbidBareNewline) return this.fail('bare_lf');
        this.endLine();
      } else {
        if (b === NUL && forbidBareNewline) return this.fail('nul');
        if (++this.lineBytes > maxLineBytes) return this.fail('line_too_long');
        if (this.inHeader && this.lineBytes <= 16) this.lineStart += String.fromCharCode(b!);
      }
      if (this.received > maxReceived) return this.fail('mail_loop');
    }
    return undefined;
  }

  /**
   * From `start` (the start of a body line, bare newlines forbidden): skips the lines that end
   * in CRLF within this chunk and have no CR, LF or NUL inside and no excess length — what the
   * byte loop would pass without a change of state — and answers where the first other line
   * starts, for the byte loop to judge (it finds the same violation it would have found there).
   */
  private wholeLines(chunk: Buffer, start: number): number {
    let i = start;
    const nul = chunk.indexOf(NUL, i);
    const max = this.limits.maxLineBytes;
    for (;;) {
      const lf = chunk.indexOf(LF, i);
      if (lf < 0 || (nul >= 0 && nul < lf) || lf - 1 - i > max) return i;
      if (lf === i || chunk.indexOf(CR, i) !== lf - 1) return i;
      i = lf + 1;
    }
  }

  /** Call at the end of DATA. */
  end(): DataViolation | undefined {
    if (this.failed) return this.failed;
    if (this.prevCR && this.limits.forbidBareNewline) return this.fail('bare_cr');
    return undefined;
  }

  /** The header section ends at the first empty line. */
  private endLine(): void {
    if (this.inHeader && this.lineBytes === 0) this.inHeader = false;
    if (this.inHeader && /^received[ \t]*:/i.test(this.lineStart)) this.received++;
    this.lineStart = '';
    this.lineBytes = 0;
  }

  private fail(reason: DataViolationReason): DataViolation {
    this.failed = violation(reason, this.limits);
    return this.failed;
  }
}

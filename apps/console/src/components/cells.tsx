import { formatTimestamp } from '@koukan/ui';

/** A time in a table: exact, monospaced, on one line. */
export const timeCell = (c: { getValue(): string | Date | null | undefined }) => (
  <span className="font-mono text-xs whitespace-nowrap">{formatTimestamp(c.getValue())}</span>
);

/** An envelope sender in a table; the null sender as `<>`. */
export const mailFromCell = (c: { getValue(): string | null | undefined }) => (
  <span className="break-all text-muted">{c.getValue() || '<>'}</span>
);

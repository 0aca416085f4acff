import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import type { TransactionDetail, TransactionIdInput, TransactionStamp } from './detail-schema.ts';

/** Everything the delivery timeline page shows about one transaction. */
export async function getTransactionDetail({
  ctx: _ctx,
  input: _input,
}: ServiceCall<TransactionIdInput>): Promise<TransactionDetail> {
  throw new AppError('internal', 'not implemented');
}

/**
 * The transaction's version, status and newest event id: the live timeline re-reads the detail
 * when this changes (after a change notification on `koukan_transactions`, or on a poll).
 */
export async function getTransactionStamp({
  ctx: _ctx,
  input: _input,
}: ServiceCall<TransactionIdInput>): Promise<TransactionStamp> {
  throw new AppError('internal', 'not implemented');
}

/**
 * The console's services, each called `fn({ ctx, input })` with ctx.actor = `user:<email>`:
 *
 * - listTransactions(ListTransactionsInput) → TransactionPage        (listTransactionsInputSchema)
 * - getTransactionDetail({ id }) → TransactionDetail                  (transactionIdInputSchema)
 * - getTransactionStamp({ id }) → TransactionStamp                    (transactionIdInputSchema)
 * - getMessage({ id }) → ParsedMessage                                (messageInputSchema)
 * - getRawMessage({ id }) → RawMessage                                (messageInputSchema)
 * - getAttachment({ id, index }) → AttachmentContent                  (attachmentInputSchema)
 * - getDashboardSeries({ range, sender? }) → DashboardSeries          (dashboardSeriesInputSchema)
 * - getQueueStats({}) → QueueStats                                    (queueStatsInputSchema)
 * - getTopDeferralDomains({ window, limit }) → DeferralDomain[]       (topDeferralDomainsInputSchema)
 * - listRouterInstances({}) → RouterInstanceInfo[]
 * - getDashboard({ range }) → Dashboard                               (dashboardInputSchema)
 * - runTransactionAction({ id, action }) → TransactionActionResult    (transactionActionInputSchema)
 * - listSenderOptions({}) → SenderOption[]                            (senderOptionsInputSchema)
 *
 * Every service validates its input with its schema itself (a mismatch is AppError
 * `bad_request` naming the field), so callers may pass the schema's input type unparsed.
 */
export * from './actions.ts';
export * from './dashboard.ts';
export * from './dashboard-schema.ts';
export * from './detail.ts';
export * from './detail-schema.ts';
export * from './list.ts';
export * from './list-schema.ts';
export * from './message.ts';
export * from './message-schema.ts';
export * from './senders.ts';

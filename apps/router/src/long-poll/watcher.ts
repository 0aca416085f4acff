// The watcher is shared with the console's live timeline; it lives in @koukan/db.
export { TransactionWatcher, type WaitResult, type WatcherOptions } from '@koukan/db';

import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { id } from '../columns.ts';

/** Live router (and gateway) replicas; a replica whose heartbeat is stale is presumed dead. */
export const instances = pgTable(
  'instances',
  {
    id: id(),
    kind: text('kind').notNull(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    version: text('version').notNull().default(''),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
    stoppingAt: timestamp('stopping_at', { withTimezone: true }),
  },
  (t) => [index('instances_heartbeat_idx').on(t.heartbeatAt)],
);

export type Instance = typeof instances.$inferSelect;

import { z } from 'zod';

export const dashboardRanges = ['1h', '24h', '7d'] as const;
export type DashboardRange = (typeof dashboardRanges)[number];
export const rollupOutcomes = ['accepted', 'delivered', 'deferred', 'failed', 'cancelled'] as const;
export type RollupOutcome = (typeof rollupOutcomes)[number];

export const dashboardSeriesInputSchema = z.strictObject({
  range: z.enum(dashboardRanges).default('24h'),
  /** Sender name; absent: all senders. */
  sender: z.string().trim().min(1).max(200).optional(),
});
export type DashboardSeriesInput = z.input<typeof dashboardSeriesInputSchema>;

/** One bucket: its start (`t`, ISO 8601) and the count of each outcome. */
export type SeriesPoint = { t: string } & Record<RollupOutcome, number>;

export interface DashboardSeries {
  range: DashboardRange;
  /** 1h: 1 min buckets; 24h: 15 min; 7d: 1 h. Every bucket of the range is present. */
  bucket_seconds: number;
  points: SeriesPoint[];
  totals: Omit<SeriesPoint, 't'>;
  /** The rollup covers events up to about this time (it trails by up to a minute). */
  rolled_up_to: string | null;
}

export const queueStatsInputSchema = z.strictObject({}).default({});
export type QueueStatsInput = z.input<typeof queueStatsInputSchema>;

export interface QueueStats {
  /** Transactions waiting for an attempt (queued with a next attempt time). */
  queued: number;
  inflight: number;
  held: number;
  /** Queued transactions still waiting for their body upload. */
  awaiting_body: number;
  /** created_at of the oldest non-final transaction (queued or in flight), and its age. */
  oldest_waiting_created_at: string | null;
  oldest_waiting_age_seconds: number | null;
  /** Queued transactions already due (next_attempt_at ≤ now). */
  due_now: number;
}

export const topDeferralDomainsInputSchema = z.strictObject({
  window: z.enum(dashboardRanges).default('24h'),
  limit: z.number().int().min(1).max(50).default(10),
});
export type TopDeferralDomainsInput = z.input<typeof topDeferralDomainsInputSchema>;

export interface DeferralDomain {
  domain: string;
  deferrals: number;
  /** The most common replies, most frequent first (at most 3). */
  top_replies: { code: number; enhanced: string | null; text: string; count: number }[];
}

export interface RouterInstanceInfo {
  id: string;
  kind: string;
  hostname: string;
  pid: number;
  version: string;
  started_at: string;
  heartbeat_at: string;
  heartbeat_age_seconds: number;
  stopping: boolean;
  /** Heartbeat older than the staleness bound. */
  stale: boolean;
}

export const dashboardInputSchema = z.strictObject({
  range: z.enum(dashboardRanges).default('24h'),
});
export type DashboardInput = z.input<typeof dashboardInputSchema>;

export interface Dashboard {
  series: DashboardSeries;
  queue: QueueStats;
  top_deferral_domains: DeferralDomain[];
  instances: RouterInstanceInfo[];
}

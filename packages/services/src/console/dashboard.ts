import {
  getSenderByName,
  queueCounts,
  rollupCoveredUntil,
  rollupSeries,
  schema,
  topDeferralDomains,
} from '@koukan/db';
import { asc } from 'drizzle-orm';
import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import {
  type Dashboard,
  type DashboardInput,
  type DashboardRange,
  type DashboardSeries,
  type DashboardSeriesInput,
  type DeferralDomain,
  dashboardInputSchema,
  dashboardSeriesInputSchema,
  type QueueStats,
  type QueueStatsInput,
  queueStatsInputSchema,
  type RouterInstanceInfo,
  rollupOutcomes,
  type SeriesPoint,
  type TopDeferralDomainsInput,
  topDeferralDomainsInputSchema,
} from './dashboard-schema.ts';

/** Bucket size and count per range: 60 × 1 min, 96 × 15 min, 168 × 1 h. */
const ranges: Record<DashboardRange, { bucket: number; buckets: number }> = {
  '1h': { bucket: 60, buckets: 60 },
  '24h': { bucket: 900, buckets: 96 },
  '7d': { bucket: 3600, buckets: 168 },
};

/** A heartbeat older than this marks a replica stale (the engine beats every 5 s). */
const INSTANCE_STALE_MS = 30_000;

function windowStart(now: Date, range: DashboardRange): Date {
  const { bucket, buckets } = ranges[range];
  const aligned = Math.floor(now.getTime() / (bucket * 1000)) * bucket * 1000;
  return new Date(aligned - (buckets - 1) * bucket * 1000);
}

const zero = () => ({ accepted: 0, delivered: 0, deferred: 0, failed: 0, cancelled: 0 });

/** Accepted / delivered / deferred / failed / cancelled over time, from the rollup table. */
export async function getDashboardSeries({
  ctx,
  input,
}: ServiceCall<DashboardSeriesInput>): Promise<DashboardSeries> {
  const { range, sender } = parseInput(dashboardSeriesInputSchema, input);
  const { bucket, buckets } = ranges[range];
  const from = windowStart(nowOf(ctx), range);
  const points: SeriesPoint[] = Array.from({ length: buckets }, (_, i) => ({
    t: new Date(from.getTime() + i * bucket * 1000).toISOString(),
    ...zero(),
  }));
  const totals = zero();
  let senderId: string | undefined;
  if (sender) senderId = (await getSenderByName(ctx.db, sender))?.id;
  const [rows, covered] = await Promise.all([
    sender && !senderId
      ? []
      : rollupSeries(ctx.db, { from, bucketSeconds: bucket, ...(senderId && { senderId }) }),
    rollupCoveredUntil(ctx.db),
  ]);
  for (const row of rows) {
    const i = Math.floor((row.t.getTime() - from.getTime()) / (bucket * 1000));
    const outcome = row.outcome as (typeof rollupOutcomes)[number];
    if (i < 0 || i >= buckets || !rollupOutcomes.includes(outcome)) continue;
    points[i]![outcome] += row.n;
    totals[outcome] += row.n;
  }
  return {
    range,
    bucket_seconds: bucket,
    points,
    totals,
    rolled_up_to: covered?.toISOString() ?? null,
  };
}

/** Queue depth and age of the oldest waiting transaction (index-only counts). */
export async function getQueueStats({
  ctx,
  input,
}: ServiceCall<QueueStatsInput>): Promise<QueueStats> {
  parseInput(queueStatsInputSchema, input ?? {});
  const { oldest_waiting: oldest, ...counts } = await queueCounts(ctx.db);
  const now = nowOf(ctx);
  return {
    ...counts,
    oldest_waiting_created_at: oldest?.toISOString() ?? null,
    oldest_waiting_age_seconds: oldest
      ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000))
      : null,
  };
}

/** Destination domains with the most deferrals in the window, with their commonest replies. */
export async function getTopDeferralDomains({
  ctx,
  input,
}: ServiceCall<TopDeferralDomainsInput>): Promise<DeferralDomain[]> {
  const { window, limit } = parseInput(topDeferralDomainsInputSchema, input ?? {});
  const rows = await topDeferralDomains(ctx.db, {
    from: windowStart(nowOf(ctx), window),
    limit,
    repliesPerDomain: 3,
  });
  return rows.map((r) => ({
    domain: r.domain,
    deferrals: r.deferrals,
    top_replies: r.replies.map((x) => ({
      code: x.code,
      enhanced: x.enhanced,
      text: x.text,
      count: x.n,
    })),
  }));
}

/** Router (and gateway) replicas with their heartbeats, including stale ones. */
export async function listRouterInstances({
  ctx,
}: ServiceCall<Record<string, never>>): Promise<RouterInstanceInfo[]> {
  const i = schema.instances;
  const rows = await ctx.db.select().from(i).orderBy(asc(i.kind), asc(i.startedAt));
  const now = nowOf(ctx).getTime();
  return rows.map((r) => {
    const age = Math.max(0, now - r.heartbeatAt.getTime());
    return {
      id: r.id,
      kind: r.kind,
      hostname: r.hostname,
      pid: r.pid,
      version: r.version,
      started_at: r.startedAt.toISOString(),
      heartbeat_at: r.heartbeatAt.toISOString(),
      heartbeat_age_seconds: Math.round(age / 1000),
      stopping: r.stoppingAt !== null,
      stale: age > INSTANCE_STALE_MS,
    };
  });
}

/** All dashboard pieces at once. */
export async function getDashboard({
  ctx,
  input,
}: ServiceCall<DashboardInput>): Promise<Dashboard> {
  const { range } = parseInput(dashboardInputSchema, input ?? {});
  const [series, queue, top, instances] = await Promise.all([
    getDashboardSeries({ ctx, input: { range } }),
    getQueueStats({ ctx, input: {} }),
    getTopDeferralDomains({ ctx, input: { window: range, limit: 10 } }),
    listRouterInstances({ ctx, input: {} }),
  ]);
  return { series, queue, top_deferral_domains: top, instances };
}

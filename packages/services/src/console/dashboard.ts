import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import type {
  Dashboard,
  DashboardInput,
  DashboardSeries,
  DashboardSeriesInput,
  DeferralDomain,
  QueueStats,
  QueueStatsInput,
  RouterInstanceInfo,
  TopDeferralDomainsInput,
} from './dashboard-schema.ts';

const notImplemented = () => new AppError('internal', 'not implemented');

/** Accepted / delivered / deferred / failed / cancelled over time, from the rollup table. */
export async function getDashboardSeries(
  _call: ServiceCall<DashboardSeriesInput>,
): Promise<DashboardSeries> {
  throw notImplemented();
}

/** Queue depth and age of the oldest waiting transaction (index-only counts). */
export async function getQueueStats(_call: ServiceCall<QueueStatsInput>): Promise<QueueStats> {
  throw notImplemented();
}

/** Destination domains with the most deferrals in the window, with their commonest replies. */
export async function getTopDeferralDomains(
  _call: ServiceCall<TopDeferralDomainsInput>,
): Promise<DeferralDomain[]> {
  throw notImplemented();
}

/** Router (and gateway) replicas with their heartbeats, including stale ones. */
export async function listRouterInstances(
  _call: ServiceCall<Record<string, never>>,
): Promise<RouterInstanceInfo[]> {
  throw notImplemented();
}

/** All dashboard pieces at once. */
export async function getDashboard(_call: ServiceCall<DashboardInput>): Promise<Dashboard> {
  throw notImplemented();
}

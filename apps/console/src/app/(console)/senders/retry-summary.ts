import type { SenderSummary } from '@koukan/services';

/** `1m, 5m, 15m · 10 attempts · 2d`, or `default`. */
export function retrySummary(retry: SenderSummary['retry']): string {
  if (!retry) return 'default';
  return [
    retry.schedule.join(', '),
    retry.max_attempts ? `${retry.max_attempts} attempts` : null,
    retry.max_age ? `max ${retry.max_age}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

import type { DashboardRange } from '@koukan/services';
import { parseAsStringLiteral } from 'nuqs/server';

/** The dashboard's ranges (the service's `dashboardRanges`; client code cannot import services). */
const dashboardRangeValues = ['1h', '24h', '7d'] as const satisfies readonly DashboardRange[];

export const rangeParam = parseAsStringLiteral(dashboardRangeValues).withDefault('24h');

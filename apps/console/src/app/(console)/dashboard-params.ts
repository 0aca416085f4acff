import { dashboardRanges } from '@koukan/services';
import { parseAsStringLiteral } from 'nuqs/server';

export const rangeParam = parseAsStringLiteral(dashboardRanges).withDefault('24h');

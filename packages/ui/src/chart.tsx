'use client';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface OutcomePoint {
  t: string;
  accepted: number;
  delivered: number;
  deferred: number;
  failed: number;
}

const series = [
  { key: 'accepted', name: 'Accepted', color: 'var(--kk-info)' },
  { key: 'delivered', name: 'Delivered', color: 'var(--kk-ok)' },
  { key: 'deferred', name: 'Deferred', color: 'var(--kk-warn)' },
  { key: 'failed', name: 'Failed', color: 'var(--kk-danger)' },
] as const;

function tick(iso: string, bucketSeconds: number): string {
  const d = new Date(iso);
  const hhmm = d.toISOString().slice(11, 16);
  return bucketSeconds >= 3600 ? `${d.toISOString().slice(5, 10)} ${hhmm}` : hhmm;
}

/** Messages per bucket by outcome; the totals are the chart's accessible description. */
export function OutcomeChart({
  points,
  bucketSeconds,
  height = 240,
}: {
  points: OutcomePoint[];
  bucketSeconds: number;
  height?: number;
}) {
  const totals = series.map((s) => `${s.name} ${points.reduce((n, p) => n + p[s.key], 0)}`);
  return (
    <figure
      role="img"
      aria-label={`Messages over time (UTC): ${totals.join(', ')}`}
      style={{ height }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="var(--kk-border)" vertical={false} />
          <XAxis
            dataKey="t"
            tickFormatter={(v: string) => tick(v, bucketSeconds)}
            stroke="var(--kk-muted)"
            fontSize={11}
            minTickGap={24}
          />
          <YAxis allowDecimals={false} stroke="var(--kk-muted)" fontSize={11} />
          <Tooltip
            labelFormatter={(v) => `${tick(String(v), 3600)} UTC`}
            contentStyle={{
              background: 'var(--kk-surface)',
              border: '1px solid var(--kk-border)',
              color: 'var(--kk-fg)',
              fontSize: 12,
            }}
            cursor={{ fill: 'var(--kk-surface-2)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s) => (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stackId="a"
              fill={s.color}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

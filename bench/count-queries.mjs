/**
 * Counts the SQL statements a process sends, by statement: `node --import ./bench/count-queries.mjs …`
 * (or in NODE_OPTIONS, as `--import=/abs/path/bench/count-queries.mjs`). At exit (and on SIGUSR2) it
 * writes `<KOUKAN_COUNT_QUERIES_DIR or /tmp>/queries-<component>-<pid>.json`: the total and each
 * statement's count, its text shortened to 160 characters. For profiling only.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(`${process.cwd()}/`);
const pg = require('pg');
const counts = new Map();
let total = 0;
const stacks = new Map();
/** A query's statement (prepared ones by name and text), white space folded. */
const statement = (config) =>
  (typeof config === 'string' ? config : `${config?.name ?? ''} ${config?.text ?? ''}`)
    .replace(/\s+/g, ' ')
    .trim();
/** Counts `key` by where it came from: the project's own frames of `stack`. */
const countSite = (key, stack) => {
  const frames = (stack ?? '')
    .split('\n')
    .filter((l) => /\/(apps|packages)\//.test(l) && !l.includes('node_modules'))
    .map((l) => l.replace(/^.*\/(apps|packages)\//, '$1/').replace(/\)$/, ''))
    .slice(0, 6)
    .join(' < ');
  const k = `${key} @ ${frames}`;
  stacks.set(k, (stacks.get(k) ?? 0) + 1);
};
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const key = statement(config).slice(0, 160);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  total++;
  if (process.env.KOUKAN_COUNT_QUERIES_STACKS) countSite(key.slice(0, 60), new Error().stack);
  return original.call(this, config, ...rest);
};
// pool.query hands the statement to a client from a callback: the caller's frames are here
const poolQuery = pg.Pool.prototype.query;
pg.Pool.prototype.query = function (config, ...rest) {
  if (process.env.KOUKAN_COUNT_QUERIES_STACKS)
    countSite(`POOL ${statement(config).slice(0, 60)}`, new Error().stack);
  return poolQuery.call(this, config, ...rest);
};
const dump = () => {
  const name = (process.argv[1] ?? 'node').split('/').slice(-3).join('_').replace(/\W+/g, '_');
  const file = join(
    process.env.KOUKAN_COUNT_QUERIES_DIR ?? '/tmp',
    `queries-${name}-${process.pid}.json`,
  );
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const bySite = Object.fromEntries([...stacks].sort((a, b) => b[1] - a[1]));
  writeFileSync(
    file,
    JSON.stringify({ total, statements: Object.fromEntries(sorted), sites: bySite }, null, 1),
  );
};
process.on('exit', dump);
process.on('SIGUSR2', dump);

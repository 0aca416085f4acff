/**
 * `--cpu-prof` for processes started by others (NODE_OPTIONS refuses --cpu-prof):
 * NODE_OPTIONS="--import=/abs/path/bench/cpu-prof.mjs" KOUKAN_CPU_PROF_DIR=/tmp/prof writes
 * `<dir>/<script>-<pid>.cpuprofile` at exit (open it in Chrome's DevTools or speedscope).
 * For profiling only.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.KOUKAN_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const name = (process.argv[1] ?? 'node').split('/').slice(-3).join('_').replace(/\W+/g, '_');
      writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  // the inspector session answers synchronously, so this works from 'exit' too
  process.on('exit', write);
  process.on('SIGUSR2', write);
}

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Postfix's side of `bench:smtp`: `smtp-sink` (the common next hop) and a private Postfix
 * relay (its own config_directory and queue_directory under `dir`, loopback ports only,
 * stopped afterwards). Needs Debian's `postfix` package; the system Postfix is not touched.
 */
const POSTFIX = {
  postfix: '/usr/sbin/postfix',
  source: '/usr/sbin/smtp-source',
  sink: '/usr/sbin/smtp-sink',
};

export function havePostfix(): boolean {
  return Object.values(POSTFIX).every((p) => existsSync(p));
}

/** `smtp-sink` on loopback, counting the messages it accepts (its `-c` counter). */
export function startSmtpSink(port: number): { delivered: () => number; stop: () => void } {
  // -c: running counter on stdout; -u: run as that user when started as root; backlog 256
  const child = spawn(POSTFIX.sink, ['-c', '-u', 'postfix', `127.0.0.1:${port}`, '256'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let count = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    const m = /(\d+)\s*$/.exec(d.replace(/\r/g, ' '));
    if (m) count = Number(m[1]);
  });
  return { delivered: () => count, stop: () => child.kill('SIGTERM') };
}

/** A private Postfix relaying `domain` to `127.0.0.1:sinkPort`, listening on `port`. */
export function startPostfix(options: {
  dir: string;
  port: number;
  sinkPort: number;
  domain: string;
}): { stop: () => void; queueEmpty: () => boolean } {
  const etc = join(options.dir, 'etc');
  const spool = join(options.dir, 'spool');
  const data = join(options.dir, 'data');
  for (const d of [etc, spool, data]) mkdirSync(d, { recursive: true });
  execFileSync('chown', ['postfix', data]);
  writeFileSync(
    join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${spool}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'myhostname = postfix.bench.localhost',
      'mydestination =',
      'local_recipient_maps =',
      `relay_domains = ${options.domain}`,
      `relayhost = [127.0.0.1]:${options.sinkPort}`,
      'mynetworks = 127.0.0.0/8',
      'smtpd_relay_restrictions = permit_mynetworks, reject',
      'smtp_tls_security_level = none',
      'smtpd_tls_security_level = none',
      'smtp_dns_support_level = disabled',
      `maillog_file = ${join(options.dir, 'maillog')}`,
      `maillog_file_prefixes = ${options.dir}`,
      'default_process_limit = 100',
      'smtpd_client_connection_count_limit = 0',
      'smtpd_client_connection_rate_limit = 0',
      'anvil_rate_time_unit = 60s',
      'smtp_destination_concurrency_limit = 20',
      'multi_instance_enable = no',
      '',
    ].join('\n'),
  );
  // Debian's master.cf with the SMTP listener on the bench port and nothing chrooted (the
  // private queue directory has none of a chroot's files).
  copyFileSync('/etc/postfix/master.cf', join(etc, 'master.cf'));
  const master = readFileSync(join(etc, 'master.cf'), 'utf8')
    .split('\n')
    .map((line) => {
      if (/^\s|^#|^$/.test(line)) return line;
      const f = line.split(/\s+/);
      if (f.length < 8) return line;
      if (f[0] === 'smtp' && f[1] === 'inet') f[0] = `127.0.0.1:${options.port}`;
      f[4] = 'n';
      return f.join(' ');
    })
    .filter((line) => !/^(submission|smtps|submissions)\s/.test(line))
    .join('\n');
  writeFileSync(join(etc, 'master.cf'), master);
  const run = (args: string[]) =>
    execFileSync(POSTFIX.postfix, ['-c', etc, ...args], { stdio: 'pipe' }).toString();
  run(['set-permissions']);
  run(['start']);
  return {
    stop: () => {
      try {
        run(['stop']);
      } catch {
        // already stopped
      }
    },
    queueEmpty: () => {
      const out = execFileSync('/usr/sbin/postqueue', ['-c', etc, '-j']).toString();
      return out.trim() === '';
    },
  };
}

/**
 * `smtp-source`: `messages` of `size` bytes (default: its own) from `from` (default
 * bench@source.example) to `recipients` recipients (default 1) over `sessions` parallel
 * sessions, a connection per message unless `reuse`. Resolves with the wall time in ms.
 */
export function smtpSource(options: {
  port: number;
  messages: number;
  sessions: number;
  size?: number;
  reuse: boolean;
  to: string;
  from?: string;
  recipients?: number;
}): Promise<number> {
  const args = [
    '-s',
    String(options.sessions),
    '-m',
    String(options.messages),
    ...(options.size ? ['-l', String(options.size)] : []),
    ...(options.recipients ? ['-r', String(options.recipients)] : []),
    '-f',
    options.from ?? 'bench@source.example',
    '-t',
    options.to,
    '-M',
    'source.example',
    ...(options.reuse ? ['-d'] : []),
    `127.0.0.1:${options.port}`,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(POSTFIX.source, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`smtp-source exited ${code}: ${err}`)),
    );
  });
}

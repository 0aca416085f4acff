import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python3 (its python3-dkim), not whatever python3 comes first in PATH. */
const PYTHON = '/usr/bin/python3';
const OPENDKIM_TESTMSG = '/usr/sbin/opendkim-testmsg';
const dkimpyScript = fileURLToPath(new URL('./dkimpy-verify.py', import.meta.url));

function run(
  cmd: string,
  args: string[],
  input: Buffer,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export async function dkimpyAvailable(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  const r = await run(PYTHON, ['-c', 'import dkim, dns.resolver, nacl'], Buffer.alloc(0));
  return r.code === 0;
}

/** dkimpy's verdict on each signature of the message, keys from the given DNS server. */
export async function dkimpyVerify(
  message: Buffer,
  dns: { host: string; port: number },
): Promise<{ d: string; s: string; a: string; ok: boolean }[]> {
  const r = await run(PYTHON, [dkimpyScript, dns.host, String(dns.port)], message);
  if (r.code !== 0) throw new Error(`dkimpy failed (${r.code}): ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * opendkim-testmsg resolves through the C library, which reads /etc/resolv.conf and asks port
 * 53: it runs in a private mount namespace (`unshare -m`, root only) where /etc/resolv.conf
 * names the local DNS server. Verifies the message's signatures; `ok` when it exits 0 silently.
 */
export async function opendkimVerify(
  message: Buffer,
  dnsHost: string,
): Promise<{ ok: boolean; output: string }> {
  const rc = join(tmpdir(), `koukan-resolv-${process.pid}-${dnsHost}.conf`);
  writeFileSync(rc, `nameserver ${dnsHost}\noptions attempts:1 timeout:2\n`);
  const r = await run(
    'unshare',
    ['-m', 'sh', '-c', `mount --bind "$1" /etc/resolv.conf && exec ${OPENDKIM_TESTMSG}`, 'sh', rc],
    // as a Unix tool it reads LF line ends (and restores CRLF itself: DKIM_LIBFLAGS_FIXCRLF)
    Buffer.from(message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'),
  );
  const output = (r.stdout + r.stderr).trim();
  return { ok: r.code === 0 && output === '', output };
}

/** opendkim-testmsg is installed and this process may make a mount namespace. */
export async function opendkimAvailable(): Promise<boolean> {
  if (!existsSync(OPENDKIM_TESTMSG)) return false;
  try {
    const r = await run(
      'unshare',
      ['-m', 'sh', '-c', 'mount --bind /dev/null /etc/hostname'],
      Buffer.alloc(0),
    );
    return r.code === 0;
  } catch {
    return false;
  }
}

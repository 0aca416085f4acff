import type { z } from 'zod';
import { dsnParamsProblem } from '../notifications/dsn-params.ts';

interface Param {
  k: string;
  p?: string | undefined;
}
interface MailboxInput {
  m: string;
  e?: Param[] | undefined;
  notify?: string[] | undefined;
  orcpt?: string | undefined;
}

/**
 * The checks of a mailbox's DSN options (RFC 3461) as a zod refinement: each DSN parameter in
 * `e` is valid for its command (issue path `e.<i>.p`), and a recipient gives NOTIFY / ORCPT
 * either as a field or in `e`, not both (path `notify` / `orcpt`).
 */
export function dsnFieldsChecks(command: 'mail' | 'rcpt') {
  return (value: MailboxInput, issue: z.core.$RefinementCtx<MailboxInput>) => {
    const problem = dsnParamsProblem(command, value.e);
    if (problem) {
      issue.addIssue({ code: 'custom', path: ['e', problem.index, 'p'], message: problem.message });
    }
    for (const k of ['notify', 'orcpt'] as const) {
      if (value[k] === undefined) continue;
      if (value.e?.some((e) => e.k.toUpperCase() === k.toUpperCase())) {
        issue.addIssue({
          code: 'custom',
          path: [k],
          message: `given twice: also as ${k.toUpperCase()} in e`,
        });
      }
    }
  };
}

/** The mailbox as stored: `{m, e}` with the given DSN parameters appended to `e`. */
export function withDsnParams<T extends { m: string; e?: Param[] | undefined }>(
  mailbox: T,
  params: Record<string, string | undefined>,
): { m: string; e?: { k: string; p?: string }[] } {
  const added = Object.entries(params)
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, p]) => ({ k, p }));
  const e = [
    ...(mailbox.e ?? []).map((x) => (x.p === undefined ? { k: x.k } : { k: x.k, p: x.p })),
    ...added,
  ];
  return e.length ? { m: mailbox.m, e } : { m: mailbox.m };
}

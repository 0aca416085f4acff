import type { SmtpResponse, Verdict } from './types.ts';

export const accept = (code = 250, enhanced = '2.0.0', message = 'ok'): Verdict => ({
  kind: 'accept',
  response: { code, enhanced, message },
});

export const temp = (message: string, code = 451, enhanced = '4.3.0'): Verdict => ({
  kind: 'temp',
  response: { code, enhanced, message },
});

export const perm = (message: string, code = 550, enhanced = '5.0.0'): Verdict => ({
  kind: 'perm',
  response: { code, enhanced, message },
});

/** Classify a protocol response by its code: 2xx/3xx accept, 4xx temp, 5xx perm. */
export function verdictFromResponse(response: SmtpResponse): Verdict {
  const kind = response.code >= 500 ? 'perm' : response.code >= 400 ? 'temp' : 'accept';
  return { kind, response };
}

export const isFailure = (v: Verdict | undefined): boolean =>
  v !== undefined && v.kind !== 'accept';

const byStatus: Record<number, string> = {
  401: 'The email or password is wrong.',
  403: 'This account is disabled, or the request came from an unexpected address. Ask an administrator.',
};

/**
 * What the sign-in form says when the console refuses a sign-in: the status's own sentence; for
 * the rate limit (429), how long to wait, from better-auth's `X-Retry-After` (seconds); else the
 * server's message.
 */
export function signInError(status: number, retryAfter: string | null, message?: string): string {
  if (status === 429) {
    const seconds = Number(retryAfter);
    const wait =
      Number.isInteger(seconds) && seconds > 0
        ? `${seconds} second${seconds === 1 ? '' : 's'}`
        : 'a few seconds';
    return `Too many attempts. Try again in ${wait}.`;
  }
  return byStatus[status] ?? message ?? `Sign-in failed (HTTP ${status}).`;
}

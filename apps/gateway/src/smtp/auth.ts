import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import type { RouterClient } from '../router-client.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import type { ListenerConfig } from './config.ts';
import {
  authFailure,
  authLockedOut,
  type Refusal,
  submissionNotConfigured,
  submissionRefusal,
} from './policy.ts';
import { connectionOf, type Route } from './session.ts';

/**
 * AUTH on the MSA (one key, REST and SMTP): username = sender name, password = one of its API
 * keys, checked with the router (`GET /v1/senders/{sender}/smtp-submission`, which creates
 * nothing). The answer also says how the sender takes submission, so one that cannot is refused
 * here, at once:
 * - its chain has an exploder: the MSA's own sender is created with the listener's gateway key;
 *   another such sender with its own key (without session facts, which need a gateway key);
 * - any other valid chain: created as the MSA's own sender with the gateway key, naming the
 *   authenticated sender in the session; the router fans it out into that sender's transactions;
 * - refused (disabled, no valid chain): `550 5.7.1` with the router's reason.
 * Wrong credentials cost the client address from its failure budget (auth-throttle.ts): a
 * growing delay, then a `421` lock-out. Logged with the client address, never the secret.
 */
export async function authenticate(
  auth: SMTPServerAuthentication,
  session: SMTPServerSession,
  deps: { config: ListenerConfig; router: RouterClient; throttle: AuthThrottle },
): Promise<{ user: string } | Refusal> {
  const state = connectionOf(session);
  if (!state) return { code: 454, message: '4.7.0 No session' };
  const ip = state.remoteAddress;
  const username = auth.username ?? '';
  const password = auth.password ?? '';
  if (deps.throttle.locked(ip)) {
    state.logger.warn({ remote: ip, sender: username }, 'AUTH from a locked-out address');
    return authLockedOut();
  }
  const refuse = async (): Promise<Refusal> => {
    state.authFailures++;
    const r = deps.throttle.fail(ip);
    state.logger.warn(
      { remote: ip, sender: username, failures: r.failures, locked_out: r.lockedOut },
      'AUTH refused',
    );
    await new Promise((resolve) => setTimeout(resolve, r.delayMs));
    return authFailure(state.authFailures, r.lockedOut);
  };
  if (!username || !password || username.length > 255) return refuse();
  const check = await deps.router.submissionCheck(username, password);
  if (!check) return refuse();
  const { sender: own, apiKey: ownKey } = deps.config;
  let route: Route;
  if (check.mode === 'refused') {
    state.logger.info(
      { remote: ip, sender: username, reason: check.reason },
      'AUTH: cannot submit',
    );
    return submissionRefusal(username, check.reason ?? 'refused by the router');
  } else if (check.mode === 'exploder') {
    route =
      username === own && ownKey
        ? { sender: own, apiKey: ownKey, gateway: true }
        : { sender: username, apiKey: password, gateway: false };
  } else {
    if (!own || !ownKey) return submissionNotConfigured(username);
    route = { sender: own, apiKey: ownKey, gateway: true };
  }
  state.credentials = { sender: username, method: auth.method, route };
  state.logger.info(
    { remote: ip, sender: username, method: auth.method, via: route.sender },
    'authenticated',
  );
  return { user: username };
}

/** What the tests know of the running stack (set by the global setup in E2E_STACK_INFO). */
export interface StackInfo {
  mode: 'processes' | 'compose';
  /** Base URLs of the router replicas (REST API). */
  routers: string[];
  /** SMTP listeners of the gateway. */
  smtp: { host: string; mx: number; msa: number };
  /** The gateway's outbound API as the routers reach it (for chains the tests write). */
  gatewayApi: string;
  /** The console's base URL. */
  console: string;
  /** The harness API: the SMTP sink, the LMTP server and the receiver's output. */
  harness: string;
  /** An API key registered for the `submission` and `sandbox` senders. */
  apiKey: string;
  admin: { email: string; password: string };
  /** The run's database (processes mode): for `koukan` commands of the tests. */
  databaseUrl?: string;
}

export function stackInfo(): StackInfo {
  const raw = process.env.E2E_STACK_INFO;
  if (!raw) throw new Error('E2E_STACK_INFO is not set: run the suite with playwright test');
  return JSON.parse(raw) as StackInfo;
}

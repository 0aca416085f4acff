import { toNextJsHandler } from 'better-auth/next-js';
import { runtime } from '../../../../server/runtime.ts';

export const dynamic = 'force-dynamic';

const handle = (req: Request) => runtime().auth.handler(req);

export const { GET, POST } = toNextJsHandler(handle);

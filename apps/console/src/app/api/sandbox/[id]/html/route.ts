import { withSession } from '../../../../../server/http/message-routes.ts';
import { sandboxHtmlResponse } from '../../../../../server/http/sandbox-routes.ts';
import { runtime } from '../../../../../server/runtime.ts';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return withSession(runtime(), req, (ctx) => sandboxHtmlResponse(ctx, id));
}

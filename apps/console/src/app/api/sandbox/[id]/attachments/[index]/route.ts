import { withSession } from '../../../../../../server/http/message-routes.ts';
import { sandboxAttachmentResponse } from '../../../../../../server/http/sandbox-routes.ts';
import { runtime } from '../../../../../../server/runtime.ts';

export const dynamic = 'force-dynamic';

export async function GET(
  req: Request,
  { params }: { params: Promise<{ id: string; index: string }> },
) {
  const { id, index } = await params;
  return withSession(runtime(), req, (ctx) => sandboxAttachmentResponse(ctx, id, index));
}

/** Readiness for `npm start` and orchestrators: the Next.js server is up and serving routes. */
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ready' });
}

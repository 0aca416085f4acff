import { createTRPCRouter, publicProcedure } from '../init.ts';

export const meRouter = createTRPCRouter({
  /** Who is signed in (null when nobody): the client uses it to show what the role allows. */
  get: publicProcedure.query(({ ctx }) => ctx.user),
});

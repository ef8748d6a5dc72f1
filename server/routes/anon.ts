/**
 * @module server/routes/anon
 * Routes anybody may call (docs/api.md § Anonymous): the anonymous cast, ballot and
 * projector views, the audit bundle and the live event stream. The cast and the views never read
 * a cookie or the caller's address (the event stream reads both only to apply its caps), and
 * nothing logs a body. Casts are answered with
 * `Connection: close`, so no connection carries a cast and anything else.
 */
import { Hono } from 'hono';
import {
  G1_BYTES, TOKEN_BYTES, ballotHash, ballotShape, castMac, equalBytes, fromHex, sealedBallotBytes,
} from '../../crypto/index.ts';
import { sessionOf, type AuthEnv } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../http.ts';
import { getMeeting } from '../meetings.ts';
import { hexBytes, id, object } from '../validate.ts';
import { getBallot } from '../voting.ts';
import { clientKey, type AppContext } from './context.ts';

export function anonRoutes(ctx: AppContext) {
  const { db, hub } = ctx;
  const app = new Hono<AuthEnv>();

  app.get('/server-key', (c) => c.json({ serverKey: ctx.serverPublicKey }));
  app.get('/ballots/:bid', (c) => c.json(ctx.view(id(c.req.param('bid'), 'ballot'))));

  app.use('/anon/*', async (c, next) => {
    await next();
    c.header('Connection', 'close');
  });
  app.post('/anon/ballots/:bid/cast', async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const { row, def } = getBallot(db, bid);
    const shape = ballotShape(def);
    const body = object(await readJson(c, 2 * sealedBallotBytes(shape) + 4096), ['token', 'signature', 'sealed', 'commitment', 'mac']);
    const cast = {
      token: hexBytes(body.token, TOKEN_BYTES, 'token'),
      signature: hexBytes(body.signature, G1_BYTES, 'signature'),
      sealed: hexBytes(body.sealed, sealedBallotBytes(shape), 'sealed'),
      commitment: hexBytes(body.commitment, 32, 'commitment'),
    };
    const mac = hexBytes(body.mac, 32, 'mac');
    if (row.status !== 'open' || !row.castKey || !row.publicKey || !row.electionKey) throw new ApiError('BAD_STATE', 'the ballot is not open for casting');
    // The MAC first: a cast from anyone who was never issued costs no curve arithmetic.
    if (!equalBytes(fromHex(castMac(row.castKey, bid, cast.token, cast.signature, cast.commitment), 32, 'mac'), mac)) throw new ApiError('BAD_CAST_MAC');
    // c must be the hash of this sealed ballot (a hash, no curve work): a cast that is not would
    // be stored and then fail the bundle's BALLOT_HASH check, so the ballot could never be published.
    if (!equalBytes(ballotHash(bid, cast.sealed), cast.commitment)) throw new ApiError('BAD_BALLOT_PROOF', 'the commitment is not the hash of the sealed ballot');
    const receipt = await ctx.castQueue.submit(bid, { publicKey: row.publicKey, electionKey: row.electionKey, shape }, cast);
    hub.notify(row.meetingId, 'ballot');
    return c.json({ receipt });
  });

  app.get('/ballots/:bid/bundle', (c) => {
    const { row } = getBallot(db, id(c.req.param('bid'), 'ballot'));
    if (!row.bundle) throw new ApiError('NOT_PUBLISHED');
    return c.body(row.bundle, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });

  app.get('/meetings/:mid/screen', (c) => c.json(ctx.screenView(id(c.req.param('mid'), 'meeting'))));
  // The event stream: one shared stream per meeting (server/streams.ts), admitted under its caps.
  // The session cookie is read only to count a signed-in device's streams apart from its address.
  app.get('/meetings/:mid/events', (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    getMeeting(db, mid);
    const body = ctx.streams.open(mid, { session: sessionOf(db, c, ctx.now()), address: clientKey(c) });
    return new Response(body, {
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
    });
  });
  return app;
}


/**
 * @module server/routes/anon
 * Routes anybody may call (docs/api.md § Anonymous): the anonymous cast, ballot and
 * projector views, the audit bundle and the live event stream. They never read a cookie or
 * the caller's address, and log nothing of a body. Casts are answered with
 * `Connection: close`, so no connection carries a cast and anything else.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  G1_BYTES, TOKEN_BYTES, ballotHash, ballotShape, castMac, equalBytes, fromHex, sealedBallotBytes,
} from '../../crypto/index.ts';
import type { AuthEnv } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../http.ts';
import { getMeeting } from '../meetings.ts';
import { hexBytes, id, object } from '../validate.ts';
import { getBallot } from '../voting.ts';
import type { AppContext } from './context.ts';

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

  // One rendering of a meeting's screen view serves every SSE subscriber of a notification
  // (hundreds of tablets), instead of one database pass each.
  const screenCache = new Map<string, { at: number; json: string }>();
  const screenJson = (mid: string): string => {
    const hit = screenCache.get(mid);
    const t = ctx.now();
    if (hit && t - hit.at < 50) return hit.json;
    const json = JSON.stringify(ctx.screenView(mid));
    screenCache.set(mid, { at: t, json });
    return json;
  };
  app.get('/meetings/:mid/screen', (c) => c.json(ctx.screenView(id(c.req.param('mid'), 'meeting'))));
  app.get('/meetings/:mid/events', (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    getMeeting(db, mid);
    return streamSSE(c, async (stream) => {
      let closed = false;
      const queue: string[] = ['hello'];
      let wake: (() => void) | null = null;
      const unsubscribe = hub.subscribe(mid, (kind) => {
        queue.push(kind);
        wake?.();
      });
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      while (!closed) {
        while (queue.length && !closed) {
          const kind = queue.shift()!;
          await stream.writeSSE({ event: kind === 'hello' ? 'state' : kind, data: screenJson(mid) });
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 25_000); // heartbeat
        });
        wake = null;
        if (!queue.length && !closed) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
    });
  });
  return app;
}


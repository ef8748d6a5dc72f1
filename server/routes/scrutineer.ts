/**
 * @module server/routes/scrutineer
 * A scrutineer's device (docs/api.md § Scrutineer device): sign-in with its code, its view of
 * the meeting, key registration, the ceremony relay, attendance confirmation, issuance
 * requests and partial signatures, and decryption shares. The device's secrets never come
 * here; every message it sends is signed by its own key and checked before it is stored.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { type BallotDefinition } from '../../crypto/index.ts';
import { endSession, requireScrutineer, startSession, type AuthEnv } from '../auth.ts';
import { isEntitled } from '../ballot.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../http.ts';
import { confirmBallot, logsOf, requestsFor, storePartials } from '../issuance.ts';
import { getMeeting, rosterOf } from '../meetings.ts';
import { decryptionsOf, storeDecryption } from '../publish.ts';
import { ceremonyMessage, ceremonyOf, registerKeys, scrutineerCheckIn, scrutineerRow, touchScrutineer } from '../scrutiny.ts';
import { id, list, object } from '../validate.ts';
import { ballotsOf, castCount, castsOf, getBallot } from '../voting.ts';
import type { AppContext } from './context.ts';

/** Largest body a device sends: a batch of partial signatures for a 1000-person meeting. */
const PARTIALS_LIMIT = 4 * 1024 * 1024;

export function scrutineerRoutes(ctx: AppContext) {
  const { db, hub, now, waiters } = ctx;
  const device = requireScrutineer(db);
  const app = new Hono<AuthEnv>();
  // Every request of a signed-in device (all but the check-in) lights its "online" lamp on the
  // secretary's console.
  const signedIn: MiddlewareHandler<AuthEnv> = async (c, next) => {
    if (c.req.path.endsWith('/scrutineer/checkin')) return next();
    return device(c, async () => {
      touchScrutineer(db, c.get('scrutineer').meetingId, c.get('scrutineer').index, now());
      await next();
    });
  };
  app.use('/scrutineer', signedIn);
  app.use('/scrutineer/*', signedIn);

  app.post('/scrutineer/checkin', async (c) => {
    const s = await ctx.checkInWithCode(c, (codeHash) => {
      const row = scrutineerCheckIn(db, codeHash);
      endSession(db, c, 'scrutineer');
      startSession(db, c, 'scrutineer', null, now(), { meetingId: row.meetingId, index: row.idx });
      return row;
    });
    hub.notify(s.meetingId, 'scrutiny');
    const meeting = getMeeting(db, s.meetingId);
    return c.json({ scrutineer: { index: s.idx, name: s.name }, meeting: { id: meeting.id, title: meeting.title } });
  });

  app.get('/scrutineer', (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const me = scrutineerRow(db, meetingId, index);
    const meeting = getMeeting(db, meetingId);
    const cer = ceremonyOf(db, meetingId);
    const roster = rosterOf(db, meetingId);
    const n = cer?.record.params?.n ?? 0;
    return c.json({
      scrutineer: { index, name: me.name, registered: me.signingKey !== null },
      meeting: { id: meeting.id, title: meeting.title, status: meeting.status },
      ceremony: cer
        ? { ...cer.record, status: cer.row.status, failure: cer.row.failure, fingerprint: cer.row.fingerprint, t: cer.row.t }
        : null,
      ballots: ballotsOf(db, meetingId).map((b) => {
        const def = JSON.parse(b.definition) as BallotDefinition;
        const mine = n ? logsOf(db, b.id, n)[index - 1] : null;
        return {
          id: b.id, title: def.title, type: def.type, status: b.status, electionKey: b.electionKey,
          items: def.items, options: def.options, rule: def.rule, params: def.params, recusedItems: def.recusedItems, round: def.round,
          cast: castCount(db, b.id),
          entitled: roster.filter((m) => isEntitled(def, m)).map((m) => ({ memberId: m.id, name: m.name, kind: m.kind, present: m.present })),
          confirmed: mine !== null && mine !== undefined,
          issuedByMe: mine?.entries.length ?? 0,
          sums: b.status === 'closed' && b.sums ? (JSON.parse(b.sums) as string[]) : null,
          decrypted: decryptionsOf(db, b.id).some((d) => d.index === index),
        };
      }),
    });
  });

  app.post('/scrutineer/keys', async (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const body = object(await readJson(c), ['signingKey', 'encryptionKey']);
    if (typeof body.signingKey !== 'string' || typeof body.encryptionKey !== 'string') throw new ApiError('BAD_REQUEST', 'keys must be hex strings');
    registerKeys(db, meetingId, index, body.signingKey, body.encryptionKey);
    hub.notify(meetingId, 'scrutiny');
    return c.json({ ok: true });
  });

  app.post('/scrutineer/ceremony', async (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const body = object(await readJson(c), [], ['commit', 'reveal', 'ack', 'complaint']);
    if (Object.keys(body).length !== 1) throw new ApiError('BAD_REQUEST', 'send exactly one of commit, reveal, ack, complaint');
    ceremonyMessage(db, meetingId, index, body);
    hub.notify(meetingId, 'scrutiny');
    return c.json({ ok: true });
  });

  app.post('/scrutineer/ballots/:bid/confirm', async (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c), ['log']);
    confirmBallot(db, bid, meetingId, index, body.log);
    hub.notify(meetingId, 'ballot');
    return c.json({ ok: true });
  });

  app.get('/scrutineer/requests', (c) => {
    const { meetingId, index } = c.get('scrutineer');
    return c.json({ requests: requestsFor(db, meetingId, index) });
  });

  app.post('/scrutineer/partials', async (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const body = object(await readJson(c, PARTIALS_LIMIT), ['ballotId', 'partials', 'log']);
    const bid = id(body.ballotId, 'ballotId');
    const items = list(body.partials, 'partials', 20_000).map((p, i) => {
      const x = object(p, ['memberId', 'blinded', 'partial'], [], `partials[${i}]`);
      if (typeof x.blinded !== 'string' || typeof x.partial !== 'string') throw new ApiError('BAD_REQUEST', `partials[${i}] must be hex`);
      return { memberId: id(x.memberId, 'memberId'), blinded: x.blinded, partial: x.partial };
    });
    storePartials(db, meetingId, index, bid, items, body.log);
    waiters.wake(bid);
    return c.json({ ok: true });
  });

  // The sealed ballots of a closed ballot, so each device adds them up itself before it decrypts
  // (it never decrypts sums it has not computed).
  app.get('/scrutineer/ballots/:bid/casts', (c) => {
    const { meetingId } = c.get('scrutineer');
    const { row } = getBallot(db, id(c.req.param('bid'), 'ballot'));
    if (row.meetingId !== meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
    if (row.status !== 'closed' || !row.sums) throw new ApiError('BAD_STATE', 'the ballot is not waiting for decryption');
    return c.json({ casts: castsOf(db, row.id).map((x) => x.sealed) });
  });

  app.post('/scrutineer/ballots/:bid/decryption', async (c) => {
    const { meetingId, index } = c.get('scrutineer');
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c, 1024 * 1024), ['share']);
    storeDecryption(db, meetingId, index, bid, body.share);
    hub.notify(getBallot(db, bid).row.meetingId, 'scrutiny');
    ctx.publishSoon(bid);
    return c.json({ ok: true });
  });
  return app;
}

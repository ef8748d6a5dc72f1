/**
 * @module server/routes/tablet
 * A member's tablet (docs/api.md § Tablet): check-in with the sign-in code, its view of the
 * meeting (with the key ceremony's public record, which the tablet checks itself before it
 * blinds anything), and token issuance — the blinded point goes to the scrutineer devices and
 * the request waits for t of their partial signatures.
 */
import { Hono } from 'hono';
import { and, eq } from 'drizzle-orm';
import { G1_BYTES, backend, toHex, type BallotDefinition } from '../../crypto/index.ts';
import { issuances, members } from '../../schema/schema.ts';
import { endSession, requireTablet, startSession, type AuthEnv } from '../auth.ts';
import { isEntitled, recusedItemsOf } from '../ballot.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../http.ts';
import { partialsFor, requestIssuance } from '../issuance.ts';
import { checkIn, getMeeting, rosterOf, undoCheckIn } from '../meetings.ts';
import { ceremonyOf } from '../scrutiny.ts';
import { hexBytes, id, object } from '../validate.ts';
import { ballotView, ballotsOf, getBallot } from '../voting.ts';
import type { AppContext } from './context.ts';

/** How long an issue request waits for the scrutineers' partial signatures before it answers `pending`. */
export const ISSUE_WAIT_MS = 10_000;

export function tabletRoutes(ctx: AppContext) {
  const { db, hub, now, waiters } = ctx;
  const tablet = requireTablet(db);
  const app = new Hono<AuthEnv>();

  app.post('/checkin', async (c) => {
    const m = await ctx.checkInWithCode(c, (codeHash) => {
      const member = checkIn(db, codeHash);
      endSession(db, c, 'tablet');
      startSession(db, c, 'tablet', member.id, now());
      return member;
    });
    hub.notify(m.meetingId, 'attendance');
    const meeting = getMeeting(db, m.meetingId);
    return c.json({ member: { id: m.id, name: m.name, kind: m.kind, title: m.title }, meeting: { id: meeting.id, title: meeting.title } });
  });

  // "不是我": the tablet is signed out and the member is absent again (server/meetings.ts undoCheckIn).
  app.post('/tablet/not-me', tablet, (c) => {
    const { member, absent } = undoCheckIn(db, c.get('memberId'));
    endSession(db, c, 'tablet');
    hub.notify(member.meetingId, 'attendance');
    return c.json({ ok: true, absent });
  });

  app.get('/tablet', tablet, (c) => {
    const m = db.select().from(members).where(eq(members.id, c.get('memberId'))).get();
    if (!m) throw new ApiError('NOT_CHECKED_IN');
    const meeting = getMeeting(db, m.meetingId);
    const roster = rosterOf(db, m.meetingId);
    const cer = ceremonyOf(db, m.meetingId);
    const ready = cer?.row.status === 'ready' && cer.record.params;
    const ballots = ballotsOf(db, m.meetingId).map((b) => {
      const def = JSON.parse(b.definition) as BallotDefinition;
      const iss = db.select().from(issuances).where(and(eq(issuances.ballotId, b.id), eq(issuances.memberId, m.id))).get();
      // reissue: the secretary allowed this member another token that no tablet has asked for yet
      // (a replacement tablet refused with ALREADY_ISSUED asks again when it sees it).
      return {
        ...ballotView(db, b, roster, cer?.row.fingerprint ?? null),
        eligible: isEntitled(def, m), issued: (iss?.issued ?? 0) > 0, reissue: !!iss && iss.allowed > iss.issued,
        // The items this member is recused from (回避): the tablet leaves them blank.
        myRecusedItems: recusedItemsOf(def, m.id),
      };
    });
    return c.json({
      member: { id: m.id, name: m.name, kind: m.kind, title: m.title },
      meeting: { id: meeting.id, title: meeting.title, status: meeting.status },
      ceremony: ready ? { params: cer.record.params, commits: cer.record.commits, reveals: cer.record.reveals, acks: cer.record.acks } : null,
      ballots,
    });
  });

  app.post('/ballots/:bid/issue', tablet, async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c), ['blinded']);
    const blinded = hexBytes(body.blinded, G1_BYTES, 'blinded');
    try {
      backend().decodeG1(blinded, 'blinded');
    } catch {
      throw new ApiError('BAD_POINT');
    }
    const memberId = c.get('memberId');
    requestIssuance(db, bid, memberId, blinded);
    const { row } = getBallot(db, bid);
    hub.notify(row.meetingId, 'scrutiny');
    const t = ceremonyOf(db, row.meetingId)?.row.t ?? 1;
    const deadline = now() + ISSUE_WAIT_MS;
    for (;;) {
      const got = partialsFor(db, bid, memberId, t);
      const fresh = getBallot(db, bid).row;
      if (got && fresh.castKey) {
        hub.notify(row.meetingId, 'ballot');
        return c.json({ status: 'signed', partials: got, castKey: toHex(fresh.castKey) });
      }
      if (fresh.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is not open');
      const left = deadline - now();
      if (left <= 0) return c.json({ status: 'pending' });
      await waiters.wait(bid, Math.min(left, 2_000));
    }
  });
  return app;
}

/**
 * @module server/routes/secretary
 * The secretary's routes (docs/api.md § Secretary): sign-in, meetings, roster, codes,
 * scrutineers, ballots and their lifecycle. Every mutating request must come from the
 * server's own pages (same Origin) with a live secretary session.
 */
import { Hono, type Context } from 'hono';
import { isWellFormed, type Bundle } from '../../crypto/index.ts';
import { checkPassword, endSession, requireSecretary, secretaryPasswordHash, startSession, type AuthEnv } from '../auth.ts';
import { definitionFromRequest, nextRoundDefinition, type BallotStatus } from '../ballot.ts';
import { ApiError, language } from '../errors.ts';
import { readJson, sameOrigin } from '../http.ts';
import {
  ABSENCES, activeMeeting, createMeeting, endMeeting, getMeeting, issueCodes, listMeetings, memberView, membersWithoutCode,
  newId, recordAbsence, reissueCodes, replaceRoster, rosterOf,
} from '../meetings.ts';
import { base64File, parseRosterFile, rosterCsv, rosterWorkbook, TEMPLATE_ROWS } from '../roster-file.ts';
import { parseRosterCsv, parseRosterJson, problemText } from '../roster.ts';
import { nameScrutineers, scrutinyView } from '../scrutiny.ts';
import { id, list, object, oneOf, text } from '../validate.ts';
import { allowReissue, ballotView, ballotsOf, createBallot, getBallot, openBallot, withoutBallot } from '../voting.ts';
import { clientKey, type AppContext } from './context.ts';

export function secretaryRoutes(ctx: AppContext) {
  const { db, hub, now, limits } = ctx;
  const secretary = requireSecretary(db, now);
  const app = new Hono<AuthEnv>();
  for (const path of ['/secretary/*', '/meetings', '/meetings/*']) app.use(path, sameOrigin());

  app.post('/secretary/login', async (c) => {
    // Every attempt is counted before the slow scrypt, synchronously, so concurrent guesses cannot
    // race past the limits (per client and in all); a right password hands its counts back.
    const who = clientKey(c);
    const body = object(await readJson(c), ['password']);
    if (!limits.login.take(who)) throw new ApiError('RATE_LIMITED');
    if (!limits.loginGlobal.take('all')) {
      limits.login.give(who);
      throw new ApiError('RATE_LIMITED');
    }
    const stored = secretaryPasswordHash(db);
    // A lone surrogate has no UTF-8 form, so it cannot be the password (and must not reach scrypt's utf8()).
    if (typeof body.password !== 'string' || body.password.length > 200 || !isWellFormed(body.password) || !stored || !checkPassword(body.password, stored)) {
      throw new ApiError('BAD_PASSWORD');
    }
    limits.login.give(who);
    limits.loginGlobal.give('all');
    endSession(db, c, 'secretary'); // rotate: a fresh id at every login
    startSession(db, c, 'secretary', null, now());
    return c.json({ ok: true });
  });
  app.post('/secretary/logout', async (c) => {
    endSession(db, c, 'secretary');
    return c.json({ ok: true });
  });
  app.get('/secretary/me', secretary, (c) => c.json({ signedIn: true, serverKey: ctx.serverPublicKey }));

  app.get('/meetings', secretary, (c) => c.json({ meetings: listMeetings(db) }));
  app.post('/meetings', secretary, async (c) => {
    const body = object(await readJson(c), ['title']);
    return c.json({ meeting: createMeeting(db, text(body.title, 'title'), now()) }, 201);
  });
  app.get('/meetings/:mid', secretary, (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    const meeting = getMeeting(db, mid);
    const roster = rosterOf(db, mid);
    const fp = ctx.fingerprintOf(mid);
    // The console alone learns who, present and entitled, has no ballot yet on an open ballot:
    // names only (who cast is unknowable — casts are anonymous — so only a count of the rest).
    return c.json({
      meeting, members: roster.map(memberView),
      ballots: ballotsOf(db, mid).map((b) => ({ ...ballotView(db, b, roster, fp), withoutBallot: b.status === 'open' ? withoutBallot(db, b, roster) : [] })),
      scrutiny: scrutinyView(db, mid, now()),
    });
  });

  // Roster: the same parser answers the preview (every line as read, problems in words)
  // and the import (refused with the problems unless every line is valid). A file comes as
  // its bytes (base64) and is decoded here: UTF-8 or GB18030 text, or an XLSX workbook.
  const readRoster = async (c: Context) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const body = object(await readJson(c, 1024 * 1024), [], ['members', 'csv', 'file', 'voidCodes']);
    if ([body.members, body.csv, body.file].filter((v) => v !== undefined).length !== 1) throw new ApiError('BAD_REQUEST', 'give one of members, csv or file');
    if (body.csv !== undefined && typeof body.csv !== 'string') throw new ApiError('BAD_REQUEST', 'csv must be text');
    if (body.voidCodes !== undefined && !Number.isSafeInteger(body.voidCodes)) throw new ApiError('BAD_REQUEST', 'voidCodes must be a whole number');
    const { parsed, file } =
      body.file !== undefined ? await parseRosterFile(base64File(body.file))
      : { parsed: body.csv !== undefined ? parseRosterCsv(body.csv as string) : parseRosterJson(body.members), file: null };
    const lang = language(c.req.header('accept-language'));
    const problems = parsed.problems.map((p) => ({ line: p.line, code: p.code, error: problemText(p, lang) }));
    // Read after the last await: nothing can issue a code between this count and the import.
    const codesIssued = rosterOf(db, mid).filter((m) => m.codeHash !== null).length;
    return { mid, parsed, problems, file, codesIssued, voidCodes: body.voidCodes };
  };
  app.post('/meetings/:mid/roster/preview', secretary, async (c) => {
    const { parsed, problems, file, codesIssued } = await readRoster(c);
    return c.json({ lines: parsed.lines, problems, file, codesIssued });
  });
  app.post('/meetings/:mid/roster', secretary, async (c) => {
    const { mid, parsed, problems, codesIssued, voidCodes } = await readRoster(c);
    if (problems.length) throw new ApiError('ROSTER_INVALID', undefined, { lines: problems });
    if (ballotsOf(db, mid).length) throw new ApiError('ROSTER_LOCKED');
    // Issued slips (printed, maybe handed out) die with the old roster: only when the request
    // names how many, as the secretary was told, so a slip issued meanwhile asks again.
    if (codesIssued > 0 && voidCodes !== codesIssued) throw new ApiError('ROSTER_CODES_ISSUED', undefined, { codes: codesIssued });
    const roster = replaceRoster(db, mid, parsed.rows);
    hub.notify(mid, 'attendance');
    return c.json({ members: roster.map(memberView) });
  });
  // The template to fill in: the Chinese header and two example rows, as CSV (UTF-8 with BOM) or XLSX.
  app.get('/roster-template/:format', secretary, (c) => {
    const format = oneOf(c.req.param('format'), ['csv', 'xlsx'] as const, 'format');
    const bytes = format === 'csv' ? rosterCsv(TEMPLATE_ROWS) : rosterWorkbook(TEMPLATE_ROWS);
    const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    return c.body(bytes, 200, {
      'Content-Type': type,
      'Content-Disposition': `attachment; filename="roster-template.${format}"; filename*=UTF-8''${encodeURIComponent(`名单模板.${format}`)}`,
    });
  });
  app.post('/meetings/:mid/codes', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    return c.json({ codes: issueCodes(db, mid, await ctx.prepareCodes(membersWithoutCode(db, mid))) });
  });
  app.post('/meetings/:mid/members/:memberId/code', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    const memberId = id(c.req.param('memberId'), 'member');
    activeMeeting(db, mid);
    const [out] = reissueCodes(db, mid, [memberId], await ctx.prepareCodes(1));
    hub.notify(mid, 'attendance');
    return c.json(out);
  });
  // Re-issue the codes of several members at once (a sheet of slips lost): all or none.
  app.post('/meetings/:mid/codes/reissue', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const body = object(await readJson(c), ['memberIds']);
    const ids = list(body.memberIds, 'memberIds', 2000).map((m, i) => id(m, `memberIds[${i}]`));
    if (ids.length === 0) throw new ApiError('BAD_REQUEST', 'choose at least one member');
    const codes = reissueCodes(db, mid, ids, await ctx.prepareCodes(ids.length));
    hub.notify(mid, 'attendance');
    return c.json({ codes });
  });
  // The secretary records a member as not signed in, 请假 or 离会 (a check-in makes them present).
  app.post('/meetings/:mid/members/:memberId/attendance', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    const memberId = id(c.req.param('memberId'), 'member');
    const body = object(await readJson(c), ['status']);
    const m = recordAbsence(db, mid, memberId, oneOf(body.status, ABSENCES, 'status'));
    hub.notify(mid, 'attendance');
    return c.json({ member: memberView(m) });
  });
  app.post('/meetings/:mid/scrutineers', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const body = object(await readJson(c), ['t', 'scrutineers']);
    const names = list(body.scrutineers, 'scrutineers', 15).map((s, i) => text(object(s, ['name'], [], `scrutineers[${i}]`).name, `scrutineers[${i}].name`, 100));
    if (typeof body.t !== 'number') throw new ApiError('BAD_REQUEST', 't must be a number');
    const codes = nameScrutineers(db, mid, body.t, names, await ctx.prepareCodes(names.length));
    hub.notify(mid, 'scrutiny');
    return c.json({ codes });
  });
  app.post('/meetings/:mid/end', secretary, (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    endMeeting(db, mid);
    hub.notify(mid, 'meeting');
    return c.json({ ok: true });
  });
  app.post('/meetings/:mid/ballots', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const members = new Map(rosterOf(db, mid).map((m) => [m.id, m.kind]));
    const def = definitionFromRequest(await readJson(c), { ballotId: newId('b'), meetingId: mid, itemId: (i) => `i${i + 1}` }, members);
    createBallot(db, def);
    hub.notify(mid, 'ballot');
    return c.json({ ballot: ctx.view(def.id) }, 201);
  });
  // The next round (两推, 复议) of a published or void ballot: a new draft; a round has one successor.
  app.post('/ballots/:bid/next-round', sameOrigin(), secretary, async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const { row, def } = getBallot(db, bid);
    activeMeeting(db, row.meetingId);
    const body = await readJson(c);
    if (ballotsOf(db, row.meetingId).some((b) => (JSON.parse(b.definition) as { round?: { previous?: { ballotId?: string } | null } }).round?.previous?.ballotId === bid))
      throw new ApiError('BAD_STATE', 'this ballot already has a next round');
    const members = new Map(rosterOf(db, row.meetingId).map((m) => [m.id, m.kind]));
    const next = nextRoundDefinition(
      { def, status: row.status as BallotStatus, bundle: row.bundle ? (JSON.parse(row.bundle) as Bundle) : null },
      body, { ballotId: newId('b'), itemId: (i) => `i${i + 1}` }, members,
    );
    createBallot(db, next);
    hub.notify(row.meetingId, 'ballot');
    return c.json({ ballot: ctx.view(next.id) }, 201);
  });

  // Ballot actions by the secretary.
  const act = (path: string, f: (bid: string, c: Context) => Promise<unknown> | unknown) =>
    app.post(`/ballots/:bid/${path}`, sameOrigin(), secretary, async (c) => {
      const bid = id(c.req.param('bid'), 'ballot');
      await f(bid, c);
      const { row } = getBallot(db, bid);
      hub.notify(row.meetingId, 'ballot');
      return c.json({ ballot: ctx.view(bid) });
    });
  act('open', (bid) => openBallot(db, bid));
  act('close', (bid) => ctx.close(bid));
  act('finalize', async (bid) => void (await ctx.finalize(bid)));
  act('reissue', async (bid, c) => {
    const body = object(await readJson(c), ['memberId']);
    allowReissue(db, bid, id(body.memberId, 'memberId'));
    hub.notify(getBallot(db, bid).row.meetingId, 'scrutiny');
  });
  return app;
}

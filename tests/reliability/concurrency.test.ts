// Concurrency (issue 6.2) and cheap forgeries (issue 9, 5), on createApp served over real HTTP
// with its crypto worker pool (group casting, the production cast queue):
// - 50 parallel casts of one token with 50 different sealed ballots: exactly one is accepted,
//   49 are 409 DUPLICATE_TOKEN; the uniqueness is the database's primary key, not only the
//   handler; the identical cast sent again returns the identical receipt;
// - the close racing the casts: every cast either has a receipt and is in the published bundle,
//   or was refused (409 BAD_STATE) and is nowhere — never acknowledged and then missing;
// - a token is bound to its ballot and its MAC to the ballot's cast key;
// - forged casts cost little: 2000 casts with a wrong MAC (random, altered, another ballot's key)
//   are refused with BAD_CAST_MAC and none reaches the crypto pool (its calls are counted);
//   the cast queue refuses beyond its bound with 503 BUSY, and nothing it accepted is lost.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ballotHash, ballotShape, castMac, checkReceipt, fromHex, randomBytes, sealedBallotBytes, toHex, verifyBundle,
  type Receipt,
} from '../../crypto/index.ts';
import { settle } from '../../server/simulate.ts';
import {
  AppClient, Client, PASSWORD, castDef, checkInAll, closeAndPublish, expectError, issueAll, openNewBallot, randomG1, readOnly, roster,
  scaled, setupRoom, sleep, startAppServer, stateOf, tokenHashHex, waitForBundle, waitForSums,
  type AppServer, type Room, type Tablet, type Tok,
} from '../helpers/reliability.ts';

const SAME_TOKEN_ROUNDS = scaled(3, 20);
const RACE_ROUNDS = scaled(4, 25);
const RACE_MEMBERS = 24;
const FORGED = scaled(2000, 20_000);

let server: AppServer;
let sec: Client;
let room: Room;
let tablets: Map<string, Tablet>;
let serverKey: string;

beforeAll(async () => {
  server = await startAppServer({ workers: 2 });
  sec = new Client(server);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  room = await setupRoom(sec, server.url, roster({ standing: 5, full: RACE_MEMBERS - 5 }), { title: '县委全体会议（并发）' });
  tablets = await checkInAll(server, room, room.names());
  serverKey = (await sec.ok('GET', '/api/server-key')).serverKey;
}, 180_000);
afterAll(async () => server?.dispose());

const storedCasts = (bid: string) =>
  readOnly(server.dbPath, (db) => db.prepare('SELECT token_hash, commitment FROM casts WHERE ballot_id = ?').all(bid) as { token_hash: string; commitment: string }[]);
const OPTS = ['agree', 'disagree', 'abstain'];

describe('one token, many sealed ballots at once', () => {
  it(`50 parallel casts of one token with different sealed ballots: exactly one accepted, 49 DUPLICATE_TOKEN; the identical re-send gets the same receipt (${SAME_TOKEN_ROUNDS} rounds)`, async () => {
    const ballot = await openNewBallot(sec, room, { type: 'consultation' });
    const names = room.names().slice(0, SAME_TOKEN_ROUNDS);
    const issued = await issueAll(room, names.map((n) => tablets.get(n)!), ballot.id);
    for (const { tablet, keys, tok } of issued) {
      const casts = Array.from({ length: 50 }, (_, i) => tablet.prepare(castDef(ballot), keys, tok, [OPTS[i % 3]!]));
      expect(new Set(casts.map((c) => c.body.commitment)).size).toBe(50);
      // Separate connections, some sent a moment later, so they land in one batch and in several.
      const res = await Promise.all(casts.map(async (c, i) => {
        if (i % 5 === 4) await sleep(Math.random() * 10);
        return new Client(server, false).post(`/api/anon/ballots/${ballot.id}/cast`, c.body);
      }));
      const ok = res.flatMap((r, i) => (r.status === 200 ? [i] : []));
      expect(ok, tablet.name).toHaveLength(1);
      for (const [i, r] of res.entries()) if (i !== ok[0]) expectError(r, 'DUPLICATE_TOKEN');
      const winner = casts[ok[0]!]!;
      const receipt = res[ok[0]!]!.json.receipt as Receipt;
      expect(receipt.commitment).toBe(winner.body.commitment);
      const th = tokenHashHex(ballot.id, tok.token);
      expect(storedCasts(ballot.id).filter((r) => r.token_hash === th)).toEqual([{ token_hash: th, commitment: winner.body.commitment }]);
      // The identical cast again (a tablet whose answer was lost): the same receipt; a loser again: still refused.
      const again = await Promise.all([winner, winner, winner].map((c) => tablet.anon.post(`/api/anon/ballots/${ballot.id}/cast`, c.body)));
      for (const r of again) expect(r.json.receipt).toEqual(receipt);
      expectError(await tablet.anon.post(`/api/anon/ballots/${ballot.id}/cast`, casts[(ok[0]! + 1) % 50]!.body), 'DUPLICATE_TOKEN');
    }
    expect(storedCasts(ballot.id)).toHaveLength(names.length);
    await closeAndPublish(sec, room, ballot.id);
  });

  it('the uniqueness is the primary key (ballot, token hash) of the casts table: a second row for a token cannot be written even by hand', () => {
    const copy = join(server.dir, 'pk-copy.db');
    readOnly(server.dbPath, (db) => {
      const pk = (db.pragma('table_info(casts)') as { name: string; pk: number }[]).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      expect(pk).toEqual(['ballot_id', 'token_hash']);
      db.exec(`VACUUM INTO '${copy}'`);
    });
    const db = new Database(copy);
    try {
      const row = db.prepare('SELECT * FROM casts LIMIT 1').get() as Record<string, string>;
      expect(row).toBeDefined();
      let code = '';
      try {
        db.prepare('INSERT INTO casts (ballot_id, token_hash, token, signature, sealed, commitment) VALUES (?, ?, ?, ?, ?, ?)')
          .run(row.ballot_id, row.token_hash, row.token, row.signature, row.sealed, 'ff'.repeat(32));
      } catch (e) {
        code = (e as { code: string }).code;
      }
      expect(code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    } finally {
      db.close();
    }
  });
});

describe('close racing the casts', () => {
  it(`every cast is either acknowledged and in the bundle, or refused (BAD_STATE) and nowhere — never acknowledged then missing (${RACE_ROUNDS} rounds, ${RACE_MEMBERS} casts each)`, async () => {
    const totals = { acknowledged: 0, refused: 0, raced: 0, racedAcknowledged: 0 };
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const ballot = await openNewBallot(sec, room, { type: 'consultation', items: 1 });
      const issued = await issueAll(room, room.names().map((n) => tablets.get(n)!), ballot.id);
      const casts = issued.map(({ tablet, keys, tok }, i) => ({ tablet, c: tablet.prepare(castDef(ballot), keys, tok, [OPTS[(i + round) % 3]!]) }));
      // Wave A arrives over `spread` ms; the moment the k-th of its casts is answered, the close and
      // wave B go out together, the close up to 200 ms later (B races the close: queued, being
      // verified or being committed when the close commits); wave C goes out once the close is answered.
      const third = Math.floor(casts.length / 3);
      const [waveA, waveB, waveC] = [casts.slice(0, third), casts.slice(third, 2 * third), casts.slice(2 * third)];
      const spread = 20 + 40 * (round % 4);
      const k = 1 + Math.floor(Math.random() * waveA.length);
      let answered = 0;
      let fire!: () => void;
      const signal = new Promise<void>((r) => (fire = r));
      const send = (x: (typeof casts)[number]) => new Client(server, false).post(`/api/anon/ballots/${ballot.id}/cast`, x.c.body);
      const closing = signal.then(() => sleep(Math.random() * 200)).then(() => sec.post(`/api/ballots/${ballot.id}/close`));
      const [outA, outB, closed, outC] = await Promise.all([
        Promise.all(waveA.map(async (x) => {
          await sleep(Math.random() * spread);
          const r = await send(x);
          if (++answered === k) fire();
          return r;
        })),
        signal.then(() => Promise.all(waveB.map(async (x) => {
          await sleep(Math.random() * 10);
          return send(x);
        }))),
        closing,
        closing.then(() => Promise.all(waveC.map(send))),
      ]);
      expect(closed.status, 'the close itself succeeds').toBe(200);
      const outcomes = [...outA, ...outB, ...outC];
      totals.raced += waveB.length;
      totals.racedAcknowledged += outB.filter((r) => r.status === 200).length;
      const receipts = new Map<number, Receipt>();
      outcomes.forEach((r, i) => {
        if (r.status === 200) receipts.set(i, r.json.receipt);
        else expectError(r, 'BAD_STATE');
      });
      // The stored casts are exactly the acknowledged ones.
      const ths = (ids: number[]) => ids.map((i) => casts[i]!.c.expect.tokenHash).sort();
      expect(storedCasts(ballot.id).map((r) => r.token_hash).sort()).toEqual(ths([...receipts.keys()]));
      await waitForSums(room, ballot.id);
      await settle(room.devices);
      const bundle = await waitForBundle(sec, ballot.id);
      expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
      expect(bundle.ballots.map((b) => b.token).sort()).toEqual([...receipts.keys()].map((i) => casts[i]!.c.body.token).sort());
      for (const r of receipts.values()) expect(checkReceipt(bundle, r).status).toBe('included');
      expect(bundle.tally.cast).toBe(receipts.size);
      totals.acknowledged += receipts.size;
      totals.refused += casts.length - receipts.size;
    }
    console.log(`[reliability] close vs cast: ${totals.acknowledged} acknowledged and included, ${totals.refused} refused and absent, 0 lost; of ${totals.raced} casts sent with the close, ${totals.racedAcknowledged} were acknowledged`);
    expect(totals.acknowledged).toBeGreaterThan(0);
    expect(totals.refused).toBeGreaterThan(0);
  }, 300_000);
});

describe('tokens are bound to their ballot', () => {
  it('a token of ballot A cast on ballot B with B\'s cast key is refused (BAD_TOKEN_SIGNATURE), with A\'s key (BAD_CAST_MAC); on a ballot of another meeting likewise; nothing is stored, and it still casts on A', async () => {
    const a = await openNewBallot(sec, room, { type: 'consultation' });
    const b = await openNewBallot(sec, room, { type: 'consultation' });
    const other = await setupRoom(sec, server.url, roster({ standing: 3 }, 'O'), { title: '另一会议' });
    const otherTablets = await checkInAll(server, other, other.names());
    const c = await openNewBallot(sec, other, { type: 'decision' });
    const t = tablets.get(room.names()[0]!)!;
    const [onA] = await issueAll(room, [t], a.id);
    const [onB] = await issueAll(room, [t], b.id);
    const [onC] = await issueAll(other, [otherTablets.get(other.names()[0]!)!], c.id);
    const before = stateOf(server.dbPath);
    for (const [target, castKey, keys] of [[b, onB!.tok.castKey, onB!.keys], [c, onC!.tok.castKey, onC!.keys]] as const) {
      // A's token and σ, sealed for the target ballot, MAC'd with the target's cast key: the MAC passes, the signature does not.
      const tok: Tok = { ...onA!.tok, ballotId: target.id, castKey };
      const cast = t.prepare(castDef(target), keys, tok, ['agree']);
      expectError(await t.anon.post(`/api/anon/ballots/${target.id}/cast`, cast.body), 'BAD_TOKEN_SIGNATURE');
      // With A's cast key the MAC is refused before any curve work.
      const withA = t.prepare(castDef(target), keys, { ...tok, castKey: onA!.tok.castKey }, ['agree']);
      expectError(await t.anon.post(`/api/anon/ballots/${target.id}/cast`, withA.body), 'BAD_CAST_MAC');
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    const receipt = await t.cast(t.prepare(castDef(a), onA!.keys, onA!.tok, ['agree']));
    expect(receipt.ballotId).toBe(a.id);
  });
});

describe('forged casts cost little (issue 9, 5)', () => {
  let w: AppServer;
  let wsec: Client;
  let wroom: Room;
  let wtablets: Map<string, Tablet>;
  const calls: Record<string, number> = {};
  const N = 12;
  beforeAll(async () => {
    // A small cast queue: at most 4 casts waiting, gathered for 60 ms before each batch.
    w = await startAppServer({ workers: 0, castQueue: { maxPending: 4, windowMs: 60 } });
    const pool = w.pool as unknown as Record<string, unknown>;
    for (const [k, f] of Object.entries(pool))
      if (typeof f === 'function')
        pool[k] = (...args: unknown[]) => {
          calls[k] = (calls[k] ?? 0) + 1;
          return (f as (...a: unknown[]) => unknown).apply(pool, args);
        };
    wsec = new Client(w);
    await wsec.ok('POST', '/api/secretary/login', { password: PASSWORD });
    wroom = await setupRoom(wsec, w.url, roster({ full: N }, 'F'), { title: '伪造投票' });
    wtablets = await checkInAll(w, wroom, wroom.names());
  }, 120_000);
  afterAll(async () => w?.dispose());

  it(`${FORGED} casts with a wrong MAC — random, a real cast with its MAC or commitment altered, another ballot's cast key, a rogue σ — are all refused with BAD_CAST_MAC, change nothing, and none reaches the crypto pool; a real cast then does`, async () => {
    const ballot = await openNewBallot(wsec, wroom, { type: 'consultation', items: 2 });
    const other = await openNewBallot(wsec, wroom, { type: 'consultation', items: 2 });
    const names = wroom.names();
    const [x] = await issueAll(wroom, [wtablets.get(names[0]!)!], ballot.id);
    const [y] = await issueAll(wroom, [wtablets.get(names[1]!)!], other.id);
    const real = x!.tablet.prepare(castDef(ballot), x!.keys, x!.tok, ['agree', 'disagree']);
    const sealedBytes = sealedBallotBytes(ballotShape(castDef(ballot)));
    const flip = (h: string, i = 0) => h.slice(0, i) + (h[i] === '0' ? '1' : '0') + h.slice(i + 1);
    const variants: ((i: number) => unknown)[] = [
      () => ({ token: toHex(randomBytes(32)), signature: toHex(randomG1()), sealed: toHex(randomBytes(sealedBytes)), commitment: toHex(randomBytes(32)), mac: toHex(randomBytes(32)) }),
      (i) => ({ ...real.body, mac: flip(real.body.mac, i % 64) }),
      () => ({ ...real.body, commitment: toHex(randomBytes(32)) }),
      () => ({ ...real.body, signature: toHex(randomG1()) }),
      (i) => ({ ...real.body, token: flip(real.body.token, i % 64) }),
      () => {
        // A well-formed cast MAC'd with another ballot's cast key (a tablet of that ballot knows it).
        const sealed = fromHex(real.body.sealed, undefined, 'sealed');
        const cm = ballotHash(ballot.id, sealed);
        return { ...real.body, mac: castMac(y!.tok.castKey, ballot.id, x!.tok.token, x!.tok.sigma, cm) };
      },
      () => ({ ...real.body, mac: castMac(x!.tok.castKey, other.id, x!.tok.token, x!.tok.sigma, fromHex(real.body.commitment, 32, 'c')) }),
    ];
    const before = stateOf(w.dbPath);
    for (const k of Object.keys(calls)) delete calls[k];
    const anon = new AppClient(w, 'http://localhost', '10.7.0.1', false);
    const codes = new Map<string, number>();
    for (let lo = 0; lo < FORGED; lo += 100) {
      const res = await Promise.all(Array.from({ length: Math.min(100, FORGED - lo) }, (_, j) => anon.post(`/api/anon/ballots/${ballot.id}/cast`, variants[(lo + j) % variants.length]!(lo + j))));
      for (const r of res) codes.set(`${r.status} ${r.json.error}`, (codes.get(`${r.status} ${r.json.error}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ '400 BAD_CAST_MAC': FORGED });
    expect(calls, 'no call of the crypto pool').toEqual({});
    expect(stateOf(w.dbPath)).toEqual(before);
    // Control: the real cast reaches the pool (its checks, then its receipt) and is stored.
    const receipt = await x!.tablet.cast(real);
    expect(calls.verifyCasts).toBe(1);
    expect(calls.receipts).toBe(1);
    expect(readOnly(w.dbPath, (db) => db.prepare('SELECT COUNT(*) AS n FROM casts WHERE ballot_id = ?').get(ballot.id))).toEqual({ n: 1 });
    expect(receipt.tokenHash).toBe(real.expect.tokenHash);
    console.log(`[reliability] forged casts: ${FORGED} refused with BAD_CAST_MAC, 0 pool calls; the real cast: ${JSON.stringify(calls)}`);
  }, 120_000);

  it('the cast queue refuses beyond its bound (maxPending 4) with 503 BUSY; nothing it accepted is lost: every BUSY cast sent again is accepted, and the bundle holds every receipt', async () => {
    const ballot = await openNewBallot(wsec, wroom, { type: 'consultation', items: 1 });
    const issued = await issueAll(wroom, wroom.names().map((n) => wtablets.get(n)!), ballot.id);
    const casts = issued.map(({ tablet, keys, tok }, i) => ({ tablet, c: tablet.prepare(castDef(ballot), keys, tok, [OPTS[i % 3]!]) }));
    // All at once, in-process (no sockets): the first 4 wait in the queue for its 60 ms window, the rest find it full.
    const anon = new AppClient(w, 'http://localhost', '10.7.0.2', false);
    const res = await Promise.all(casts.map((x) => anon.post(`/api/anon/ballots/${ballot.id}/cast`, x.c.body)));
    const busy = res.flatMap((r, i) => (r.status === 503 ? [i] : []));
    const receipts = new Map<number, Receipt>();
    res.forEach((r, i) => {
      if (r.status === 200) receipts.set(i, r.json.receipt);
      else expectError(r, 'BUSY');
    });
    expect(receipts.size).toBe(4);
    expect(busy.length).toBe(N - 4);
    // Acknowledged ⇒ stored; BUSY ⇒ not stored.
    const stored = new Set(storedIn(w, ballot.id));
    for (const i of receipts.keys()) expect(stored.has(casts[i]!.c.expect.tokenHash)).toBe(true);
    for (const i of busy) expect(stored.has(casts[i]!.c.expect.tokenHash)).toBe(false);
    // The tablets retry (as Tablet.cast does on BUSY): all accepted.
    for (const i of busy) receipts.set(i, await casts[i]!.tablet.cast(casts[i]!.c));
    const bundle = await closeAndPublish(wsec, wroom, ballot.id);
    expect(verifyBundle(bundle).failures).toEqual([]);
    expect(bundle.tally.cast).toBe(N);
    for (const r of receipts.values()) expect(checkReceipt(bundle, r).status).toBe('included');
  }, 120_000);
});

function storedIn(w: AppServer, bid: string): string[] {
  return readOnly(w.dbPath, (db) => (db.prepare('SELECT token_hash FROM casts WHERE ballot_id = ?').all(bid) as { token_hash: string }[]).map((r) => r.token_hash));
}

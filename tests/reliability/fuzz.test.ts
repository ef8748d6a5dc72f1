// Fuzzing bad input (issue 6.3) on piaojue/2, against a running server (createApp on its own
// SQLite file, served over real HTTP by @hono/node-server, crypto inline). fast-check generates
// requests for every endpoint of docs/api.md — the secretary's, the tablets', the scrutineer
// devices' and the anonymous ones: structured-malicious bodies (wrong types, missing and unknown
// fields, huge strings, deep nesting, invalid UTF-8, lone surrogates, oversize → 413, wrong
// content type → 415, non-JSON), invalid / off-curve / wrong-subgroup / identity / non-canonical
// points, sealed ballots of random bytes, casts with a right MAC over wrong contents, replayed
// ceremony messages, issuance logs, partial signatures and decryption shares, malformed ids and
// ids of other meetings, other callers' cookies (tablets and devices of another meeting), forged
// cookies and foreign origins — crafted so that none of them may change anything (an identical
// replay is accepted as a no-op). Every answer: no 5xx; a refusal is `{error, message}` with a code
// of ERRORS and that code's status; security headers on every response; and a dump of every table
// before and after each chunk of requests is identical. Default ≥ 10 000 requests
// (PIAOJUE_LONG=1: 100 000; PIAOJUE_FUZZ=n, PIAOJUE_FUZZ_SEED=s). The check-in and sign-in
// limiters answer 429 by design; a separate test moves the clock past their window before every
// request so their parsers are fuzzed too.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  G1, RP, ballotHash, ballotShape, castMac, encodeSealedBallot, fromHex, parseSealedBallot, randomBytes, sealedBallotBytes, toHex,
  type PreparedCast, type Receipt,
} from '../../crypto/index.ts';
import { ERRORS } from '../../server/errors.ts';
import {
  AppClient, Client, PASSWORD, ROOT, appWorld, castDef, checkInAll, closeAndPublish, confirmAndOpen, createBallot, expectError, inPool, issueAll,
  randomG1, roster, scaled, setupRoom, stableRefusal, startAppServer, stateOf, waitForBundle, waitForSums,
  type AppServer, type AppWorld, type Device, type Room, type Tablet, type Tok,
} from '../helpers/reliability.ts';

const REQUESTS = scaled(10_000, 100_000, 'PIAOJUE_FUZZ');
const SEED = Number(process.env.PIAOJUE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CHUNK = 500;
const CONCURRENCY = 8;
const { Fp } = bls12_381.fields;

// ---- the world the fuzzer aims at ----------------------------------------------------------

let server: AppServer;
let sec: Client;
let A: Room;
let B: Room;
let E: { id: string; memberIds: string[] };
const ballots = { draft: '', open: '', closed: '', pub: '', b: '' };
const cookies: Record<string, string> = {};
let tabA: Map<string, Tablet>;
let openCast: PreparedCast; // A1's cast on the open ballot (replays: same receipt)
let openReceipt: Receipt;
let openTok: Tok; // A1's token on the open ballot (its cast key computes valid MACs)
let a2Tok: Tok; // A2's token on the open ballot: issued, never cast (no valid sealed ballot for it is ever made)
let openBlinded: string; // A1's blinded point on the open ballot (replay: the same answer)
let closedSealed: string[];
let devA: Device;
let devB: Device;
let sealedBytes = 0;
let openPartials: { ballotId: string; partials: unknown[]; log: unknown }; // device 1's last answer on the open ballot (replay: a no-op)

function cookieOf(jar: { cookies: Map<string, string> }): string {
  return [...jar.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

beforeAll(async () => {
  server = await startAppServer();
  sec = new Client(server);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  cookies.secretary = cookieOf(sec);
  A = await setupRoom(sec, server.url, roster({ standing: 4, full: 1 }, 'A'), { title: '甲县常委会' });
  B = await setupRoom(sec, server.url, roster({ standing: 3 }, 'B'), { title: '乙县常委会' });
  const { meeting: e } = await sec.ok('POST', '/api/meetings', { title: '已结束的会议' });
  const { members: em } = await sec.ok('POST', `/api/meetings/${e.id}/roster`, { members: roster({ standing: 2 }, 'E') });
  await sec.ok('POST', `/api/meetings/${e.id}/end`);
  E = { id: e.id, memberIds: em.map((m: { id: string }) => m.id) };
  tabA = await checkInAll(server, A, A.names());
  const tabB = await checkInAll(server, B, B.names());
  cookies.tabletA = cookieOf(tabA.get('A常委01')!.jar);
  cookies.tabletA5 = cookieOf(tabA.get('A委员01')!.jar);
  cookies.tabletB = cookieOf(tabB.get('B常委01')!.jar);
  devA = A.devices[0]!;
  devB = B.devices[0]!;
  cookies.devA = cookieOf(devA.jar);
  cookies.devB = cookieOf(devB.jar);
  const two = [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }];
  ballots.draft = (await createBallot(sec, A.id, { type: 'decision', title: '草稿', items: two })).id;
  // Open: A1 and A2 issued, A1 cast.
  const bo = await confirmAndOpen(sec, A, (await createBallot(sec, A.id, { type: 'decision', title: '进行中', items: two })).id);
  ballots.open = bo.id;
  const [x1, x2] = await issueAll(A, [tabA.get('A常委01')!, tabA.get('A常委02')!], bo.id);
  openPartials = devA.posted.get('/api/scrutineer/partials') as typeof openPartials;
  openBlinded = toHex(x1!.tok.st.blinded);
  openTok = x1!.tok;
  a2Tok = x2!.tok;
  openCast = x1!.tablet.prepare(castDef(bo), x1!.keys, x1!.tok, ['agree', 'disagree']);
  openReceipt = await x1!.tablet.cast(openCast);
  sealedBytes = sealedBallotBytes(ballotShape(castDef(bo)));
  // Published: four casts.
  const bp = await confirmAndOpen(sec, A, (await createBallot(sec, A.id, { type: 'decision', title: '已公布', items: two })).id);
  ballots.pub = bp.id;
  for (const x of await issueAll(A, ['A常委01', 'A常委02', 'A常委03', 'A常委04'].map((n) => tabA.get(n)!), bp.id)) await x.tablet.cast(x.tablet.prepare(castDef(bp), x.keys, x.tok, ['agree', 'agree']));
  await closeAndPublish(sec, A, bp.id);
  // Closed (after the published one, whose publication has every device decrypt what is waiting): three casts; device 1 sent its decryption share, devices 2 and 3 not yet (t = 2: not published).
  const bc = await confirmAndOpen(sec, A, (await createBallot(sec, A.id, { type: 'consultation', title: '已截止', items: two })).id);
  ballots.closed = bc.id;
  for (const x of await issueAll(A, ['A常委01', 'A常委02', 'A常委03'].map((n) => tabA.get(n)!), bc.id)) await x.tablet.cast(x.tablet.prepare(castDef(bc), x.keys, x.tok, ['agree', 'abstain']));
  await sec.ok('POST', `/api/ballots/${bc.id}/close`);
  await waitForSums(A, bc.id);
  await devA.step();
  closedSealed = (await devA.jar.ok('GET', `/api/scrutineer/ballots/${bc.id}/casts`)).casts;
  // Meeting B: one open ballot, B1 issued.
  const bb = await confirmAndOpen(sec, B, (await createBallot(sec, B.id, { type: 'decision', title: '乙县表决', items: two })).id);
  ballots.b = bb.id;
  await issueAll(B, [tabB.get('B常委01')!], bb.id);
  buildPools();
}, 180_000);
afterAll(async () => {
  // The figures for docs/reliability.md: every request of this file (random, targeted and past the limiters).
  mkdirSync(join(ROOT, 'test-artifacts/reliability'), { recursive: true });
  writeFileSync(join(ROOT, 'test-artifacts/reliability/fuzz.json'), JSON.stringify({ seed: SEED, ...stats }, null, 2));
  console.log('[reliability] fuzz:', JSON.stringify({ seed: SEED, ...stats }));
  await server?.dispose();
});

// ---- value pools -----------------------------------------------------------------------------


const pools = {
  valid: [] as string[], offCurve: [] as string[], wrongSubgroup: [] as string[], xTooBig: [] as string[],
  uncompressed: [] as string[], identity: [] as string[], nonCanonicalInfinity: [] as string[],
};

function be48(x: bigint, flags: number): string {
  const b = Buffer.from(x.toString(16).padStart(96, '0'), 'hex');
  b[0]! |= flags;
  return b.toString('hex');
}
const isSquare = (v: bigint) => v === 0n || Fp.pow(v, (Fp.ORDER - 1n) / 2n) === 1n;

function buildPools(): void {
  for (let i = 0; i < 16; i++) pools.valid.push(toHex(randomG1()));
  while (pools.offCurve.length < 16 || pools.wrongSubgroup.length < 16) {
    const x = BigInt(`0x${toHex(randomBytes(48))}`) % Fp.ORDER;
    const flags = 0x80 | (Math.random() < 0.5 ? 0x20 : 0);
    // On the curve, a random x is outside the prime-order subgroup with overwhelming probability (cofactor ≈ 2^126).
    (isSquare(Fp.add(Fp.pow(x, 3n), 4n)) ? pools.wrongSubgroup : pools.offCurve).push(be48(x, flags));
  }
  pools.xTooBig.push(be48(Fp.ORDER, 0x80), be48(Fp.ORDER + 1n, 0xa0), be48((1n << 381n) - 1n, 0x80), be48(Fp.ORDER + 12345n, 0x80));
  pools.uncompressed.push(...pools.valid.slice(0, 4).map((h) => (Number.parseInt(h.slice(0, 2), 16) & 0x7f).toString(16).padStart(2, '0') + h.slice(2)));
  pools.uncompressed.push(toHex(G1.BASE.multiply(7n).toBytes(false)));
  pools.identity.push('c0' + '00'.repeat(47));
  pools.nonCanonicalInfinity.push('c0' + '00'.repeat(46) + '01', 'e0' + '00'.repeat(47), 'c1' + '00'.repeat(47), '40' + '00'.repeat(47));
}

// ---- arbitraries -----------------------------------------------------------------------------

type Caller = 'anon' | 'secretary' | 'tabletA' | 'tabletA5' | 'tabletB' | 'devA' | 'devB' | 'garbage';
type BodyClass = 'none' | 'shaped' | 'json' | 'huge' | 'deep' | 'utf8' | 'surrogate' | 'garbage' | 'oversize' | 'empty' | 'wrongct' | 'proto';
type Spec = {
  route: string;
  method: string;
  path: string;
  caller: Caller;
  garbageCookie?: string;
  origin: 'self' | 'none' | 'foreign' | 'null' | 'https';
  lang?: string;
  ct: string | null;
  body?: string | Uint8Array;
  cls: BodyClass;
  /** The route reads a JSON body whenever it can succeed, so a malformed body must be refused. */
  readsBody: boolean;
  /** No request of this route may succeed in this world (success would change state). */
  mustFail: boolean;
  /** Exact status expected (targeted combinations). */
  expect?: number;
};
type Body = Pick<Spec, 'ct' | 'body' | 'cls'>;

const MALFORMED: readonly BodyClass[] = ['huge', 'deep', 'utf8', 'garbage', 'oversize', 'empty', 'wrongct'];

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 30 }), fc.constant(''),
  fc.array(fc.integer(), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
  fc.constant('x'.repeat(5000)), fc.constant('\ud800'), fc.constant({ __proto__: null, toString: 1 }), fc.constant([[[[[[]]]]]]),
);

const junkScalar: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 10 }), fc.array(fc.integer(), { maxLength: 3 }));
const nonInteger = fc.double().filter((x) => !Number.isInteger(x));
const hexOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toHex);
const badHex = (n: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    hexOf(n - 1), hexOf(n + 1), hexOf(n).map((h) => h.toUpperCase()), hexOf(n).map((h) => h.slice(1)), hexOf(n).map((h) => `0x${h}`),
    hexOf(n).map((h) => `g${h.slice(1)}`), hexOf(n).map((h) => ` ${h}`), fc.constant(''), junk,
  );
const point: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...['valid', 'offCurve', 'wrongSubgroup', 'xTooBig', 'uncompressed', 'identity', 'nonCanonicalInfinity'] as const).chain((k) => fc.constantFrom(...pools[k])),
  hexOf(48), badHex(48),
);
const text: fc.Arbitrary<unknown> = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(''), fc.constant('   '), fc.constant('长'.repeat(201)), fc.constant('a\ud800b'), junk);
/** A title that `text()` must refuse. */
const badText: fc.Arbitrary<unknown> = fc.oneof(fc.constant(''), fc.constant(' \n\t '), fc.constant('长'.repeat(201)), fc.constant('x'.repeat(300)), fc.constant('a\udc00'), fc.integer(), fc.constant(null), fc.array(fc.string()), fc.boolean());

function withExtra(o: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  const extra = fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), junk);
  return fc.tuple(o, fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: extra }))
    .map(([v, x]) => (x ? Object.defineProperty({ ...v }, x[0], { value: x[1], enumerable: true }) : v));
}
const shape = (fields: Record<string, fc.Arbitrary<unknown>>) => withExtra(fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>);

const WRONG_CT = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'text/json', 'application/json, text/plain', '*/*', ''];

function body(shaped: fc.Arbitrary<unknown>, limit = 64 * 1024): fc.Arbitrary<Body> {
  const json = (cls: BodyClass) => (v: unknown): Body => ({ cls, ct: 'application/json', body: JSON.stringify(v) });
  const main = fc.oneof(
    { weight: 10, arbitrary: shaped.map(json('shaped')) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json('json')) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n): Body => ({ cls: 'huge', ct: 'application/json', body: JSON.stringify({ x: '票'.repeat(n) }) })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean()).map(([n, arr]): Body => ({ cls: 'deep', ct: 'application/json', body: arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n) })) },
    { weight: 1, arbitrary: fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe6, 0x8a], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]).map((bad): Body => ({ cls: 'utf8', ct: 'application/json', body: Uint8Array.from([...Buffer.from('{"x":"'), ...bad, ...Buffer.from('"}')]) })) },
    { weight: 1, arbitrary: fc.constantFrom('{"x":"\\ud800"}', '"\\udfff"', '{"\\ud83d":1}').map((s): Body => ({ cls: 'surrogate', ct: 'application/json', body: s })) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"a":}', 'nul', "{'a':1}", '[1,]', 'NaN', '1e99999', '{"a":1}{"b":2}')).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((s): Body => ({ cls: 'garbage', ct: 'application/json', body: s })) },
    { weight: 1, arbitrary: fc.integer({ min: limit + 1, max: limit + 4096 }).map((n): Body => ({ cls: 'oversize', ct: 'application/json', body: `{"x":"${'a'.repeat(n)}"}` })) },
    { weight: 1, arbitrary: fc.constant<Body>({ cls: 'empty', ct: 'application/json', body: '' }) },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}').map((s): Body => ({ cls: 'proto', ct: 'application/json', body: s })) },
  );
  const wrongCt = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_CT) });
  return fc.tuple(main, wrongCt).map(([b, ct]) => (ct === undefined ? b : { ...b, cls: 'wrongct', ct: ct === '' ? null : ct }));
}

const unknownId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const malformedId = fc.oneof(
  fc.constantFrom('%00', '..', '%2e%2e', 'a%2Fb', '%E0%A4%A', 'x'.repeat(65), '票决', '%F0%9F%98%80', "'%20OR%201=1", '%3Cscript%3E', '%', 'a b', 'b%0Ax'),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
);
const idFrom = (...known: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: unknownId }, { weight: 1, arbitrary: malformedId });

const callers = (...cs: Caller[]) => fc.constantFrom(...cs);
const ALL: Caller[] = ['anon', 'secretary', 'tabletA', 'tabletA5', 'tabletB', 'devA', 'devB', 'garbage'];
const garbageCookie = fc.oneof(
  hexOf(32).map((h) => `piaojue_sid=${h}`), hexOf(32).map((h) => `piaojue_tablet=${h}`), hexOf(32).map((h) => `piaojue_scrutineer=${h}`), fc.constant('piaojue_sid=; piaojue_tablet='),
  fc.string({ maxLength: 60 }).map((s) => `piaojue_sid=${encodeURIComponent(s)}`), fc.constant(`piaojue_sid=${'a'.repeat(3000)}`),
  fc.constant('__Host-piaojue_sid=' + 'b'.repeat(64)), fc.constant(';;=;'),
);
const origin = fc.oneof({ weight: 8, arbitrary: fc.constant('self' as const) }, { weight: 1, arbitrary: fc.constantFrom('none', 'foreign', 'null', 'https') as fc.Arbitrary<Spec['origin']> });

/** `caller`: who normally calls the route (5 in 6 requests); the others come from `callers` (default: anyone). */
type RouteArgs = { path: fc.Arbitrary<string>; method?: string; caller?: Caller; callers?: Caller[]; body?: fc.Arbitrary<Body>; readsBody?: boolean; mustFail?: boolean };

function route(name: string, a: RouteArgs): fc.Arbitrary<Spec> {
  return fc.record({
    path: a.path,
    caller: a.caller ? fc.oneof({ weight: 5, arbitrary: fc.constant(a.caller) }, { weight: 1, arbitrary: callers(...(a.callers ?? ALL)) }) : callers(...(a.callers ?? ALL)),
    garbageCookie,
    origin,
    lang: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('en', 'en-US,en;q=0.9', 'zh-CN', 'fr', '*', ';;', 'x'.repeat(200)) }),
    b: a.body ?? fc.constant<Body>({ cls: 'none', ct: null }),
  }).map(({ b, ...r }) => ({
    route: name, method: a.method ?? 'POST', ...r, ...b, readsBody: a.readsBody ?? !!a.body, mustFail: a.mustFail ?? false,
  }));
}

/** The whole request space, each route weighted by how much there is to explore behind it. */
function requests(): fc.Arbitrary<Spec> {
  const m = (id: string) => `/api/meetings/${id}`;
  const bid = (...k: (keyof typeof ballots)[]) => idFrom(...k.map((x) => ballots[x]));
  const tokenish = fc.oneof(hexOf(32), fc.constantFrom(openCast.body.token, toHex(a2Tok.token)), badHex(32));
  const ballotDefinitionBad = fc.oneof(
    shape({ type: fc.oneof(fc.constantFrom('decision', 'consultation'), junk), title: badText, items: fc.constant([{ nominee: '甲', post: '乙' }]) }),
    shape({ type: fc.oneof(fc.string({ maxLength: 12 }).filter((s) => s !== 'decision' && s !== 'consultation'), junk), title: fc.constant('表决'), items: fc.constant([{ nominee: '甲', post: '乙' }]) }),
    fc.record({ type: fc.constantFrom('decision', 'consultation'), title: fc.constant('表决'), items: fc.oneof(
      fc.constant([]), junk.filter((v) => !Array.isArray(v) || v.length === 0), fc.constant(Array.from({ length: 51 }, () => ({ nominee: '甲', post: '乙' }))),
      fc.array(shape({ nominee: badText, post: text }), { minLength: 1, maxLength: 3 }).map((xs) => xs.map((x) => ({ post: '乙', ...(x as object) }))),
      fc.constant([{ nominee: '甲', post: '乙', id: 'i1' }]), fc.constant([{ nominee: '甲'.repeat(101), post: '乙' }]),
    ) }),
    fc.record({ type: fc.constantFrom('decision', 'consultation'), title: fc.constant('表决'), items: fc.constant([{ nominee: '甲', post: '乙' }]), rule: fc.oneof(
      fc.record({ option: fc.string({ maxLength: 8 }).filter((s) => !['agree', 'disagree', 'abstain'].includes(s)) }),
      fc.record({ threshold: fc.oneof(fc.record({ num: fc.integer({ min: 2, max: 10 }), den: fc.constant(1) }), fc.record({ num: nonInteger, den: nonInteger }), fc.constant({ num: 1, den: 0 }), fc.constant({ num: 1, den: 1001 }), junkScalar) }),
      fc.record({ quorum: fc.oneof(fc.constant({ num: -1, den: 3 }), fc.constant({ num: 1 }), fc.constant('2/3')) }),
      fc.record({ strict: fc.oneof(fc.integer(), fc.string(), fc.constant(null)) }), fc.record({ base: fc.string({ maxLength: 8 }).filter((b) => !['entitled', 'present', 'cast'].includes(b)) }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['option', 'base', 'threshold', 'strict', 'quorum'].includes(k)), junk, { minKeys: 1, maxKeys: 2 }),
      fc.constant('ab'), fc.constant({ threshold: { num: { a: { a: { a: 1 } } }, den: 2 } }),
    ) }),
    fc.record({ type: fc.constantFrom('decision', 'consultation'), title: fc.constant('表决'), items: fc.constant([{ nominee: '甲', post: '乙' }]), recused: fc.oneof(
      fc.constant([E.memberIds[0]]), fc.constant([A.idOf('A常委01'), A.idOf('A常委01')]), fc.constant([B.idOf('B常委01'), B.idOf('B常委01')]), fc.array(unknownId, { minLength: 1, maxLength: 3 }), fc.constant('u1'), fc.constant(Array(1001).fill('u')), fc.array(junk, { minLength: 1, maxLength: 2 }),
    ) }),
    fc.record({ type: fc.constant('decision'), title: fc.constant('表决'), items: fc.constant([{ nominee: '甲', post: '乙' }]), extra: junk }),
  );
  const rosterBody = fc.oneof(
    shape({ members: fc.oneof(fc.array(shape({ name: text, kind: fc.oneof(fc.constantFrom('standing', 'full', 'alternate', '常委', '委员', '候补委员'), junk), title: text }), { maxLength: 5 }), junk) }),
    shape({ csv: fc.oneof(fc.string({ maxLength: 200 }), fc.constant('name,kind,title\n张三,standing,\n李四,full,科长'), fc.constant('name,kind\n"unterminated,standing'), junk) }),
    fc.record({ members: fc.constant([{ name: '张三', kind: 'standing' }]), csv: fc.constant('name,kind\n张三,standing') }),
  );
  // Casts: random contents; the cast of A1 again (a no-op); and casts with a right MAC (the fuzzer plays a tablet that knows the
  // cast key) over wrong contents, so they get past the MAC and the hash check to the curve checks — never a new valid cast.
  const sealedish = fc.oneof(hexOf(sealedBytes), fc.constant(openCast.body.sealed), fc.constantFrom(...closedSealed), badHex(sealedBytes));
  const castBody = fc.oneof(
    shape({ token: tokenish, signature: fc.oneof(point, fc.constantFrom(openCast.body.signature, toHex(a2Tok.sigma))), sealed: sealedish, commitment: fc.oneof(hexOf(32), fc.constant(openCast.body.commitment), badHex(32)), mac: fc.oneof(hexOf(32), fc.constant(openCast.body.mac), badHex(32)) }),
    fc.constant(openCast.body),
    fc.record({ token: fc.oneof(hexOf(32), fc.constantFrom(openCast.body.token, toHex(a2Tok.token))), signature: fc.oneof(fc.constantFrom(...pools.valid, ...pools.offCurve, ...pools.wrongSubgroup, ...pools.identity), fc.constantFrom(openCast.body.signature, toHex(a2Tok.sigma))), sealed: fc.oneof(hexOf(sealedBytes), fc.constant(openCast.body.sealed), fc.constantFrom(...closedSealed)), hash: fc.boolean() })
      .filter((x) => !(x.token === openCast.body.token && x.signature === openCast.body.signature && x.sealed === openCast.body.sealed))
      .map((x) => {
        const commitment = x.hash ? toHex(ballotHash(ballots.open, fromHex(x.sealed as string, undefined, 'sealed'))) : toHex(randomBytes(32));
        const tok = fromHex(x.token as string, 32, 'token');
        const mac = /^[0-9a-f]{96}$/.test(x.signature as string) ? castMac(openTok.castKey, ballots.open, tok, fromHex(x.signature as string, 48, 'sig'), fromHex(commitment, 32, 'c')) : toHex(randomBytes(32));
        return { token: x.token, signature: x.signature, sealed: x.sealed, commitment, mac };
      }),
  );
  const logOf = (d: Device, bidKey: keyof typeof ballots) => (d.posted.get(`/api/scrutineer/ballots/${ballots[bidKey]}/confirm`) as { log: unknown } | undefined)?.log;
  const lastPartials = openPartials;
  const share = devA.posted.get(`/api/scrutineer/ballots/${ballots.closed}/decryption`) as { share: { index: number; factors: string[]; proofs: string[] } };
  const record = A.record;
  const issuanceLog = fc.oneof(
    fc.constantFrom(...[logOf(devA, 'open'), logOf(devA, 'closed'), logOf(devB, 'b'), lastPartials.log].filter(Boolean)),
    fc.tuple(fc.constantFrom(logOf(devA, 'open') as { entries: string[] }), fc.constantFrom('device', 'entries', 'signature'), fc.oneof(junk, hexOf(64), fc.constant([A.idOf('A常委03')]), fc.constant(2)))
      .map(([l, k, v]) => ({ ...l, [k]: v })),
    shape({ device: fc.oneof(fc.integer({ min: 0, max: 20 }), junk), entries: fc.oneof(fc.array(fc.constantFrom(A.idOf('A常委01'), A.idOf('A常委03'), B.idOf('B常委01')), { maxLength: 4 }), junk), signature: fc.oneof(hexOf(64), junk) }),
    junk,
  );
  const shareBody = fc.oneof(
    fc.constant(share.share),
    fc.tuple(fc.constant(share.share), fc.integer({ min: 0, max: share.share.factors.length - 1 }), fc.constantFrom('factors', 'proofs'), fc.oneof(hexOf(32), hexOf(64), fc.constant('00'.repeat(32)), fc.constant('00'.repeat(64)), junk))
      .map(([s, k, f, v]) => ({ ...s, [f]: s[f as 'factors'].map((x, i) => (i === k ? v : x)) })),
    fc.tuple(fc.constant(share.share), fc.oneof(fc.integer({ min: -2, max: 20 }), junk)).map(([s, index]) => ({ ...s, index })),
    shape({ index: fc.oneof(fc.integer(), junk), factors: fc.oneof(fc.array(hexOf(32), { maxLength: 7 }), junk), proofs: fc.oneof(fc.array(hexOf(64), { maxLength: 7 }), junk) }),
    junk,
  );
  const ceremonyBody = fc.oneof(
    fc.constantFrom({ commit: record.commits[0] }, { reveal: record.reveals[0] }, { ack: record.acks[0] }, { commit: record.commits[1] }),
    shape({ commit: fc.oneof(shape({ index: fc.oneof(fc.integer({ min: 0, max: 4 }), junk), digest: fc.oneof(hexOf(32), junk), signature: fc.oneof(hexOf(64), junk) }), junk) }),
    shape({ complaint: fc.oneof(shape({ from: fc.integer({ min: 0, max: 4 }), against: fc.integer({ min: 0, max: 4 }), key: hexOf(32), proof: hexOf(64), signature: hexOf(64) }), junk) }),
    fc.record({ commit: fc.constant(record.commits[0]), ack: fc.constant(record.acks[0]) }),
    junk,
  );
  const keysBody = fc.oneof(
    fc.constant({ signingKey: devA.state!.key.signingKey, encryptionKey: devA.state!.key.encryptionKey }),
    shape({ signingKey: fc.oneof(hexOf(32), fc.constant(devA.state!.key.signingKey), badHex(32)), encryptionKey: fc.oneof(hexOf(32), fc.constant(devB.state!.key.encryptionKey), badHex(32)) }),
  );
  const scrutineersBody = shape({ t: fc.oneof(fc.integer({ min: -1, max: 20 }), junk), scrutineers: fc.oneof(fc.array(shape({ name: text }), { maxLength: 17 }), junk) });
  const devs: Caller[] = ['devA', 'devB', 'anon', 'tabletA', 'secretary', 'garbage'];
  return fc.oneof(
    { weight: 3, arbitrary: route('POST /api/secretary/login', { caller: 'anon', path: fc.constant('/api/secretary/login'), callers: ['anon', 'garbage', 'tabletA', 'devA'], body: body(shape({ password: fc.oneof(fc.string({ maxLength: 40 }).filter((s) => s !== PASSWORD), junk) })), mustFail: true }) },
    { weight: 1, arbitrary: route('POST /api/secretary/logout', { path: fc.constant('/api/secretary/logout'), callers: ['anon', 'garbage', 'tabletA', 'tabletB', 'devA'], body: body(junk), readsBody: false }) },
    { weight: 1, arbitrary: route('GET /api/secretary/me', { caller: 'secretary', method: 'GET', path: fc.constant('/api/secretary/me') }) },
    { weight: 1, arbitrary: route('GET /api/meetings', { caller: 'secretary', method: 'GET', path: fc.constant('/api/meetings') }) },
    { weight: 4, arbitrary: route('POST /api/meetings', { caller: 'secretary', path: fc.constant('/api/meetings'), body: body(fc.oneof(shape({ title: badText }), fc.record({ title: fc.constant('会议'), x: junk }), junk)), mustFail: true }) },
    { weight: 1, arbitrary: route('GET /api/meetings/:mid', { caller: 'secretary', method: 'GET', path: idFrom(A.id, B.id, E.id).map(m) }) },
    { weight: 4, arbitrary: route('POST /api/meetings/:mid/roster', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/roster`), body: body(rosterBody, 1024 * 1024), mustFail: true }) },
    { weight: 2, arbitrary: route('POST /api/meetings/:mid/roster/preview', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/roster/preview`), body: body(rosterBody, 1024 * 1024) }) },
    { weight: 1, arbitrary: route('POST /api/meetings/:mid/codes', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/codes`), body: body(junk), readsBody: false }) },
    { weight: 2, arbitrary: route('POST /api/meetings/:mid/members/:memberId/code', { caller: 'secretary',
      path: fc.oneof(
        fc.constantFrom([A.id, B.idOf('B常委01')], [B.id, A.idOf('A常委01')], [E.id, E.memberIds[0]!], [A.id, E.memberIds[1]!]),
        fc.tuple(idFrom(A.id, B.id), unknownId), fc.tuple(malformedId, fc.constant(A.idOf('A常委01'))), fc.tuple(fc.constant(A.id), malformedId),
      ).map(([x, y]) => `${m(x)}/members/${y}/code`), body: body(junk), readsBody: false, mustFail: true,
    }) },
    { weight: 3, arbitrary: route('POST /api/meetings/:mid/scrutineers', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/scrutineers`), body: body(scrutineersBody), mustFail: true }) },
    { weight: 1, arbitrary: route('POST /api/meetings/:mid/end', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/end`), body: body(junk), readsBody: false, mustFail: true }) },
    { weight: 6, arbitrary: route('POST /api/meetings/:mid/ballots', { caller: 'secretary', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/ballots`), body: body(fc.oneof({ weight: 6, arbitrary: ballotDefinitionBad }, { weight: 1, arbitrary: junk })), mustFail: true }) },
    { weight: 1, arbitrary: route('POST /api/ballots/:bid/open', { caller: 'secretary', path: bid('draft', 'open', 'closed', 'pub', 'b').map((x) => `/api/ballots/${x}/open`), body: body(junk), readsBody: false, mustFail: true }) },
    { weight: 1, arbitrary: route('POST /api/ballots/:bid/close', { caller: 'secretary', path: bid('draft', 'closed', 'pub').map((x) => `/api/ballots/${x}/close`), body: body(junk), readsBody: false, mustFail: true }) },
    { weight: 1, arbitrary: route('POST /api/ballots/:bid/finalize', { caller: 'secretary', path: bid('draft', 'open', 'closed', 'pub', 'b').map((x) => `/api/ballots/${x}/finalize`), body: body(junk), readsBody: false, mustFail: true }) },
    { weight: 2, arbitrary: fc.oneof(
      route('POST /api/ballots/:bid/reissue', { caller: 'secretary', path: bid('closed', 'pub', 'draft').map((x) => `/api/ballots/${x}/reissue`), body: body(shape({ memberId: fc.oneof(fc.constant(A.idOf('A常委01')), unknownId, junk) })), mustFail: true }),
      route('POST /api/ballots/:bid/reissue', { caller: 'secretary', path: fc.constant(`/api/ballots/${ballots.open}/reissue`), body: body(shape({ memberId: fc.oneof(fc.constantFrom(A.idOf('A常委03'), A.idOf('A委员01'), B.idOf('B常委01'), E.memberIds[0]!), unknownId, malformedId, junk) })), mustFail: true }),
    ) },
    { weight: 5, arbitrary: route('POST /api/checkin', { caller: 'anon', path: fc.constant('/api/checkin'), body: body(shape({ code: fc.oneof(fc.stringMatching(/^[2-9A-HJKLMNP-Z]{5}-[2-9A-HJKLMNP-Z]{5}$/), fc.string({ maxLength: 45 }), junk) })), mustFail: true }) },
    { weight: 1, arbitrary: route('GET /api/tablet', { caller: 'tabletA', method: 'GET', path: fc.constant('/api/tablet') }) },
    { weight: 8, arbitrary: route('POST /api/ballots/:bid/issue', { caller: 'tabletA', path: idFrom(ballots.open, ballots.draft, ballots.closed, ballots.pub, ballots.b).map((x) => `/api/ballots/${x}/issue`), body: body(shape({ blinded: fc.oneof(point, fc.constant(openBlinded)) })) }) },
    // The scrutineer devices' routes.
    { weight: 3, arbitrary: route('POST /api/scrutineer/checkin', { caller: 'anon', path: fc.constant('/api/scrutineer/checkin'), body: body(shape({ code: fc.oneof(fc.stringMatching(/^[2-9A-HJKLMNP-Z]{5}-[2-9A-HJKLMNP-Z]{5}$/), fc.string({ maxLength: 45 }), junk) })), mustFail: true }) },
    { weight: 1, arbitrary: route('GET /api/scrutineer', { caller: 'devA', callers: devs, method: 'GET', path: fc.constant('/api/scrutineer') }) },
    { weight: 2, arbitrary: route('POST /api/scrutineer/keys', { caller: 'devA', callers: devs, path: fc.constant('/api/scrutineer/keys'), body: body(keysBody) }) },
    { weight: 4, arbitrary: route('POST /api/scrutineer/ceremony', { caller: 'devA', callers: devs, path: fc.constant('/api/scrutineer/ceremony'), body: body(ceremonyBody), mustFail: true }) },
    { weight: 4, arbitrary: route('POST /api/scrutineer/ballots/:bid/confirm', { caller: 'devA', callers: devs, path: bid('draft', 'open', 'closed', 'pub', 'b').map((x) => `/api/scrutineer/ballots/${x}/confirm`), body: body(shape({ log: issuanceLog })) }) },
    { weight: 1, arbitrary: route('GET /api/scrutineer/requests', { caller: 'devA', callers: devs, method: 'GET', path: fc.constant('/api/scrutineer/requests') }) },
    { weight: 5, arbitrary: route('POST /api/scrutineer/partials', { caller: 'devA', callers: devs, path: fc.constant('/api/scrutineer/partials'), body: body(fc.oneof(
      fc.constant(lastPartials),
      shape({ ballotId: fc.oneof(fc.constantFrom(...Object.values(ballots)), unknownId, junk), partials: fc.oneof(fc.array(shape({ memberId: fc.oneof(fc.constantFrom(A.idOf('A常委01'), A.idOf('A常委03'), B.idOf('B常委01')), unknownId, junk), blinded: fc.oneof(point, fc.constant(openBlinded)), partial: fc.oneof(point, hexOf(48)) }), { maxLength: 3 }), junk), log: issuanceLog }),
    ), 4 * 1024 * 1024) }) },
    { weight: 1, arbitrary: route('GET /api/scrutineer/ballots/:bid/casts', { caller: 'devA', callers: devs, method: 'GET', path: bid('closed', 'open', 'pub', 'b').map((x) => `/api/scrutineer/ballots/${x}/casts`) }) },
    { weight: 5, arbitrary: route('POST /api/scrutineer/ballots/:bid/decryption', { caller: 'devA', callers: devs, path: bid('closed', 'open', 'pub', 'draft', 'b').map((x) => `/api/scrutineer/ballots/${x}/decryption`), body: body(shape({ share: shareBody }), 1024 * 1024) }) },
    // The anonymous ones.
    { weight: 1, arbitrary: route('GET /api/server-key', { caller: 'anon', method: 'GET', path: fc.constant('/api/server-key') }) },
    { weight: 1, arbitrary: route('GET /api/ballots/:bid', { caller: 'anon', method: 'GET', path: bid('draft', 'open', 'closed', 'pub', 'b').map((x) => `/api/ballots/${x}`) }) },
    { weight: 14, arbitrary: route('POST /api/anon/ballots/:bid/cast', { caller: 'anon', path: bid('open', 'draft', 'closed', 'pub', 'b').map((x) => `/api/anon/ballots/${x}/cast`), body: body(castBody) }) },
    { weight: 1, arbitrary: route('GET /api/ballots/:bid/bundle', { caller: 'anon', method: 'GET', path: bid('pub', 'closed', 'open').map((x) => `/api/ballots/${x}/bundle`) }) },
    { weight: 1, arbitrary: route('GET /api/meetings/:mid/screen', { caller: 'anon', method: 'GET', path: idFrom(A.id, B.id, E.id).map((x) => `${m(x)}/screen`) }) },
    { weight: 1, arbitrary: route('GET /api/meetings/:mid/events', { caller: 'anon', method: 'GET', path: fc.oneof(unknownId, malformedId).map((x) => `${m(x)}/events`) }) },
    { weight: 2, arbitrary: fc.tuple(
      route('no such route', {
        path: fc.oneof(fc.constantFrom('/api', '/api/', '/api/ballots', '/api/nope', '/api/ballots/x/y/z', '/api/secretary', `/api/anon/ballots/${ballots.open}/cast/extra`, `/api/ballots/${ballots.open}/cast`, `/api/ballots/${ballots.closed}/openings`, `/api/ballots/${ballots.pub}/receipt`, '/api/meetings/x/members', '/api/..%2f..%2fetc/passwd', '/api/anon'), fc.webPath().map((p) => `/api/x${p}`)),
        body: body(junk), readsBody: false, mustFail: true,
      }),
      fc.constantFrom('PUT', 'DELETE', 'PATCH', 'POST', 'GET', 'OPTIONS'),
    ).map(([s, method]) => ({ ...s, method, route: `${method} (no such route)` })) },
  );
}

// ---- sending and judging ---------------------------------------------------------------------

type Outcome = { status: number; json: any; headers: Headers };

async function send(s: Spec): Promise<Outcome> {
  const base = server.url;
  const headers: Record<string, string> = {};
  const o = { self: base, none: null, foreign: 'http://evil.example', null: 'null', https: base.replace('http:', 'https:') }[s.origin];
  if (o) headers.Origin = o;
  if (s.ct) headers['Content-Type'] = s.ct;
  if (s.lang) headers['Accept-Language'] = s.lang;
  const cookie = s.caller === 'garbage' ? s.garbageCookie : s.caller === 'anon' ? undefined : cookies[s.caller];
  if (cookie) headers.Cookie = cookie;
  const hasBody = s.method !== 'GET' && s.method !== 'HEAD' && s.body !== undefined;
  const res = await fetch(base + s.path, { method: s.method, headers, body: hasBody ? (s.body as BodyInit) : undefined });
  const textBody = await res.text();
  let json: any;
  try {
    json = JSON.parse(textBody);
  } catch {
    json = { raw: textBody.slice(0, 200) };
  }
  return { status: res.status, json, headers: res.headers };
}

/** What is wrong with an answer, or null. */
function judge(s: Spec, r: Outcome): string | null {
  if (r.status >= 500) return `5xx: ${r.status}`;
  const refusal = stableRefusal(r.status, r.json);
  if (refusal) return refusal;
  if (!/frame-ancestors 'none'/.test(r.headers.get('content-security-policy') ?? '') || r.headers.get('x-content-type-options') !== 'nosniff')
    return 'security headers missing';
  if (s.mustFail && r.status < 400) return `succeeded (${r.status}) where nothing may change`;
  if (s.readsBody && MALFORMED.includes(s.cls) && r.status < 400) return `malformed body (${s.cls}) accepted`;
  if (s.readsBody && s.cls === 'oversize' && r.status !== 413 && r.status < 400) return 'oversize body accepted';
  return null;
}

const stats = { requests: 0, byRoute: {} as Record<string, number>, byStatus: {} as Record<string, number>, byCode: {} as Record<string, number>, byClass: {} as Record<string, number>, succeededNoOp: 0, snapshots: 0 };

function describeSpec(s: Spec): string {
  const b = s.body === undefined ? '' : typeof s.body === 'string' ? s.body.slice(0, 160) : `bytes(${s.body.length})`;
  return `${s.method} ${s.path.slice(0, 120)} as ${s.caller} origin=${s.origin} ct=${s.ct} [${s.cls}] ${b}`;
}

describe(`fuzzing every endpoint with bad input (${REQUESTS} requests, seed ${SEED})`, () => {
  it('no 5xx, a stable error code for every refusal, security headers everywhere, and no change of state', async () => {
    const arb = requests();
    const chunks = Math.ceil(REQUESTS / CHUNK);
    for (let c = 0; c < chunks; c++) {
      const specs = fc.sample(arb, { numRuns: Math.min(CHUNK, REQUESTS - c * CHUNK), seed: SEED + c });
      const before = stateOf(server.dbPath);
      const problems: string[] = [];
      await inPool(specs, CONCURRENCY, async (s) => {
        const r = await send(s);
        const wrong = judge(s, r);
        if (wrong) problems.push(`${wrong}: ${describeSpec(s)} → ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
        stats.requests++;
        stats.byRoute[s.route] = (stats.byRoute[s.route] ?? 0) + 1;
        stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + 1;
        stats.byClass[s.cls] = (stats.byClass[s.cls] ?? 0) + 1;
        if (r.status >= 400) stats.byCode[r.json.error] = (stats.byCode[r.json.error] ?? 0) + 1;
        else if (s.method !== 'GET') stats.succeededNoOp++;
      });
      expect(problems.slice(0, 10), `chunk ${c} (seed ${SEED + c}): ${problems.length} problems`).toEqual([]);
      expect(stateOf(server.dbPath), `chunk ${c} (seed ${SEED + c}) changed the database`).toEqual(before);
      stats.snapshots++;
    }
    expect(stats.requests).toBe(REQUESTS);
    for (const k of Object.keys(stats.byCode)) expect(ERRORS).toHaveProperty(k);
    expect(Object.keys(stats.byRoute).length).toBeGreaterThanOrEqual(34);
    expect(stats.byStatus['500'] ?? 0).toBe(0);
    // The casts with a right MAC reached the curve checks.
    for (const code of ['BAD_CAST_MAC', 'BAD_TOKEN_SIGNATURE', 'BAD_BALLOT_PROOF', 'BAD_POINT', 'BAD_ISSUANCE_LOG', 'BAD_DECRYPTION_SHARE']) expect(stats.byCode[code] ?? 0, code).toBeGreaterThan(0);
  }, 15 * 60_000);

  it('after the fuzzing the server still works: a member not yet issued gets a token and casts; the fuzzed cast is still the one stored; the closed ballot publishes', async () => {
    server.clock.advance(61_000); // past the check-in limiter's window, which the fuzzed check-ins filled
    // A3 never had its tablet cookie in the fuzz: a fresh tablet for it (re-issued code), then a token and a cast.
    const { code } = await sec.ok('POST', `/api/meetings/${A.id}/members/${A.idOf('A常委03')}/code`);
    const t3 = (await checkInAll(server, { ...A, codes: new Map([['A常委03', code]]) }, ['A常委03'])).get('A常委03')!;
    const [x] = await issueAll(A, [t3], ballots.open);
    const receipt = await t3.cast(t3.prepare(castDef({ id: ballots.open, items: [{ id: 'i1', nominee: '甲', post: '县财政局局长' }, { id: 'i2', nominee: '乙', post: '县教育局局长' }] }), x!.keys, x!.tok, ['agree', 'agree']));
    expect(receipt.ballotId).toBe(ballots.open);
    const again = await new Client(server, false).ok('POST', `/api/anon/ballots/${ballots.open}/cast`, openCast.body);
    expect(again.receipt).toEqual(openReceipt);
    const { settle } = await import('../../server/simulate.ts');
    await settle(A.devices);
    // The t-th share is answered first; the publication follows it.
    const bundle = await waitForBundle(new Client(server, false), ballots.closed);
    expect(bundle.tally.cast).toBe(3);
  });
});

describe('encodings on issue and cast (every class, exact codes)', () => {
  it('blinded points: bad encodings → 400 BAD_REQUEST (not hex / wrong length) or BAD_POINT (uncompressed, identity, non-canonical, off the curve, outside the subgroup); a valid point on a used issuance → 409 ALREADY_ISSUED; nothing changes', async () => {
    const tabletA = new Client(server);
    const [name, value] = cookies.tabletA!.split('=') as [string, string];
    tabletA.cookies.set(name, value);
    const before = stateOf(server.dbPath);
    const cases: [string, unknown, string][] = [
      ...pools.offCurve.map((p) => ['off curve', p, 'BAD_POINT'] as [string, unknown, string]),
      ...pools.wrongSubgroup.map((p) => ['outside the subgroup', p, 'BAD_POINT'] as [string, unknown, string]),
      ...pools.xTooBig.map((p) => ['x ≥ p', p, 'BAD_POINT'] as [string, unknown, string]),
      ...pools.uncompressed.map((p) => ['uncompressed', p, p.length === 96 ? 'BAD_POINT' : 'BAD_REQUEST'] as [string, unknown, string]),
      ...pools.identity.map((p) => ['identity', p, 'BAD_POINT'] as [string, unknown, string]),
      ...pools.nonCanonicalInfinity.map((p) => ['non-canonical infinity', p, 'BAD_POINT'] as [string, unknown, string]),
      ...pools.valid.map((p) => ['valid point, issuance used', p, 'ALREADY_ISSUED'] as [string, unknown, string]),
      ['47 bytes', pools.valid[0]!.slice(2), 'BAD_REQUEST'], ['upper case', pools.valid[0]!.toUpperCase(), 'BAD_REQUEST'], ['number', 1, 'BAD_REQUEST'],
    ];
    for (const [label, blinded, code] of cases) {
      const r = await tabletA.post(`/api/ballots/${ballots.open}/issue`, { blinded });
      expect(r.json.error, label).toBe(code);
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await tabletA.ok('POST', `/api/ballots/${ballots.open}/issue`, { blinded: openBlinded })).status).toBe('signed'); // the used one again: same answer
    stats.requests += cases.length + 1;
  });

  it('cast signatures with a right MAC and commitment: the point classes → BAD_POINT, a valid point that is no signature → BAD_TOKEN_SIGNATURE; sealed ballots of an issued token with a bad element (identity, non-canonical, off the curve) or a changed proof → BAD_BALLOT_PROOF; nothing stored', async () => {
    const anon = new Client(server, false);
    const before = stateOf(server.dbPath);
    const withMac = (token: Uint8Array, signature: string, sealed: string) => {
      const c = ballotHash(ballots.open, fromHex(sealed, undefined, 'sealed'));
      const mac = /^[0-9a-f]{96}$/.test(signature) ? castMac(openTok.castKey, ballots.open, token, fromHex(signature, 48, 'sig'), c) : toHex(randomBytes(32));
      return { token: toHex(token), signature, sealed, commitment: toHex(c), mac };
    };
    const cases: [string, string[], string][] = [
      ['off curve', pools.offCurve, 'BAD_POINT'], ['outside the subgroup', pools.wrongSubgroup, 'BAD_POINT'], ['x ≥ p', pools.xTooBig, 'BAD_POINT'],
      ['identity', pools.identity, 'BAD_POINT'], ['non-canonical infinity', pools.nonCanonicalInfinity, 'BAD_POINT'], ['valid point', pools.valid, 'BAD_TOKEN_SIGNATURE'],
    ];
    let n = 0;
    for (const [label, list, code] of cases)
      for (const res of await Promise.all(list.map((p) => anon.post(`/api/anon/ballots/${ballots.open}/cast`, withMac(randomBytes(32), p, toHex(randomBytes(sealedBytes))))))) {
        expect(res.json.error, label).toBe(code);
        n++;
      }
    // A2's real token and σ (issued, never cast) with A1's sealed ballot, altered: the proofs bind each ballot to its token hash.
    const shape = ballotShape(castDef({ id: ballots.open, items: [{ id: 'i1', nominee: '甲', post: '乙' }, { id: 'i2', nominee: '甲', post: '乙' }] }));
    const raw = fromHex(openCast.body.sealed, undefined, 'sealed');
    const parsed = parseSealedBallot(shape, raw);
    const bad: [string, string][] = [
      ['A1\'s sealed ballot under A2\'s token', openCast.body.sealed],
      ['an α replaced by the identity', toHex(Uint8Array.from(raw).fill(0, 0, 32))],
      ['an α not canonical (≥ p)', toHex(Uint8Array.from(raw).fill(0xff, 0, 32))],
      ['random bytes', toHex(randomBytes(sealedBytes))],
      ['a proof response changed', toHex(encodeSealedBallot(shape, { groups: parsed.groups.map((g, gi) => (gi || !('packed' in g) ? g : { packed: { ...g.packed, proof: { ...g.packed.proof, responses: g.packed.proof.responses.map((r, k) => (k ? r : (r + 1n) % RP.Fn.ORDER)) } } })) }))],
    ];
    for (const [label, sealed] of bad) {
      expectError(await anon.post(`/api/anon/ballots/${ballots.open}/cast`, withMac(a2Tok.token, toHex(a2Tok.sigma), sealed)), 'BAD_BALLOT_PROOF');
      void label;
      n++;
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    stats.requests += n;
  });
});

describe('the limited routes, with the clock moved past the limiter window before every request', () => {
  let w: AppWorld;
  beforeAll(() => {
    w = appWorld();
  });
  afterAll(async () => w?.dispose());

  it(`check-in (${scaled(600, 6000)}), scrutineer sign-in (${scaled(300, 3000)}) and secretary sign-in (${scaled(150, 1500)}) bodies: never 429, never 5xx, always a stable refusal, nothing changes`, async () => {
    const sec2 = new AppClient(w);
    await sec2.ok('POST', '/api/secretary/login', { password: PASSWORD });
    const { meeting } = await sec2.ok('POST', '/api/meetings', { title: '限流外' });
    await sec2.ok('POST', `/api/meetings/${meeting.id}/roster`, { members: [{ name: '甲', kind: 'standing' }] });
    await sec2.ok('POST', `/api/meetings/${meeting.id}/codes`);
    await sec2.ok('POST', `/api/meetings/${meeting.id}/scrutineers`, { t: 1, scrutineers: [{ name: '监票人' }] });
    const before = stateOf(w.dbPath);
    const client = new AppClient(w, 'http://localhost', '10.1.1.1', false);
    const codeBodies = (n: number, seed: number) => fc.sample(body(shape({ code: fc.oneof(fc.stringMatching(/^[2-9A-HJKLMNP-Z]{5}-?[2-9A-HJKLMNP-Z]{5}$/), fc.string({ maxLength: 45 }), junk) })), { numRuns: n, seed });
    const checkinBodies = codeBodies(scaled(600, 6000), SEED);
    const deviceBodies = codeBodies(scaled(300, 3000), SEED + 2);
    // (fewer sign-ins: each wrong password costs a full scrypt)
    const loginBodies = fc.sample(body(shape({ password: fc.oneof(fc.string({ maxLength: 40 }).filter((s) => s !== PASSWORD), junk) })), { numRuns: scaled(150, 1500), seed: SEED + 1 });
    const problems: string[] = [];
    for (const [path, bodies] of [['/api/checkin', checkinBodies], ['/api/scrutineer/checkin', deviceBodies], ['/api/secretary/login', loginBodies]] as const)
      for (const b of bodies) {
        w.clock.advance(61_000);
        const r = await client.call('POST', path, undefined, { raw: b.body ?? '', contentType: b.ct });
        const wrong = r.status >= 500 ? `5xx ${r.status}` : r.status === 429 ? '429 although the window had passed' : r.status < 400 ? `accepted ${r.status}` : stableRefusal(r.status, r.json);
        if (wrong) problems.push(`${path} [${b.cls}] ${String(b.body).slice(0, 120)} → ${wrong} ${JSON.stringify(r.json).slice(0, 120)}`);
      }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(stateOf(w.dbPath)).toEqual(before);
    stats.requests += checkinBodies.length + deviceBodies.length + loginBodies.length;
  });
});

/**
 * @module tests/helpers/vectors
 * Deterministic builders of the piaojue/2 test vectors (docs/vectors/, protocol Appendix A),
 * shared by scripts/make-vectors.ts, which writes them, and tests/crypto/vectors.test.ts, which
 * checks that the files are exactly what these builders make today and recomputes every value
 * with the production functions.
 *
 * Every secret comes from a label (`bytes32`, `exponent`, `scalar`, `stream` below), Ed25519 is
 * deterministic, the ceremony and `sealBallot` take seeds / a random source for test vectors,
 * and the Chaum–Pedersen proofs are made here with fixed nonces (`proveDleqWithNonce`, the
 * construction of crypto/group.ts `proveDleq` with w given), so every byte is reproducible.
 *
 * Token DSTs. The vectors pin the FINAL piaojue/2 bytes: the token point and the token hash use
 * DST_TOKEN and DST_TOKEN_HASH (which become DST_TOKEN and DST_TOKEN_HASH when v1 is
 * deleted). Today crypto/token.ts still hashes with the v1 strings, so these builders compute
 * M, the token hash and σ themselves with the v2 strings, and never call `tokenPoint`,
 * `tokenHash`, `blindToken`, `unblindSignature`, `sortCasts` or `assembleBundle`. The test
 * recomputes with those functions under a module mock that gives dst.ts its final values.
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { B, specPacked } from './packing.ts';
import {
  BASE, DST_CEREMONY_SIGNATURE, DST_COMPLAINT_PROOF, DST_DECRYPTION_PROOF, DST_TOKEN, DST_TOKEN_HASH, ELL, Fr, G1, G2, PROTOCOL_VERSION, RP,
  ballotHash, ballotShape, castMac, combineDecryptionShares, combinePartials, compareBytes, confirmAttendance,
  dealerCommit, dealerReveal, decodeSumCiphertext, ed25519Sign, encodeCiphertext, encodeExponent,
  encodeScalar, exponentToHex, fields, fromHex, generateDeviceKey, generateServerKey, hashToExponent, hashToG1, leafHash,
  merkleRoot, message, modL, parseSealedBallot, receiveShares, sealBallot, castLeaf, selectionsOf,
  signBundle, signReceipt, signRequests, sumCiphertexts, tallyFromCounts, toHex, u32be, utf8, verifyDecryptionShare,
  verifyPartial, elementFromHex, elementToHex,
  type BallotDefinition, type BallotShape, type Bundle, type CeremonyComplaint, type CeremonyParams, type CeremonyRecord,
  type CeremonyReveal, type Ciphertext, type DealerState, type DeviceSecret, type DeviceState, type DleqStatement,
  type Element, type IssuanceLog, type ApprovalOption, type PublishedShare, type Receipt, type RosterEntry, type SealedCast,
  type UnsignedBundle,
} from '../../crypto/index.ts';

/** The label every vector secret is derived from. */
export const LABEL = 'piaojue test vector v2';

/** What a vector file says made it. */
export const GENERATOR = 'scripts/make-vectors.ts (npm run vectors), builders in tests/helpers/vectors.ts';

/** How secrets are derived, quoted in the vector files. */
export const DERIVATION =
  `bytes32(p) = SHA-256(utf8("${LABEL}/" + p)); exponent(p) = (LE(SHA-512(utf8("${LABEL}/" + p))) mod (ℓ − 1)) + 1; ` +
  `scalar(p) = (BE(SHA-512(utf8("${LABEL}/" + p))) mod (r − 1)) + 1; stream(p) draws exponent(p + "/0"), exponent(p + "/1"), …`;

const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const be = (b: Uint8Array): bigint => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
const label = (p: string) => utf8(`${LABEL}/${p}`);

/** 32 bytes for purpose `p`. */
export function bytes32(p: string): Uint8Array {
  return sha256(label(p));
}
/** An exponent in [1, ℓ) for purpose `p`. */
export function exponent(p: string): bigint {
  return (le(sha512(label(p))) % (ELL - 1n)) + 1n;
}
/** A BLS12-381 scalar in [1, r) for purpose `p`. */
export function scalar(p: string): bigint {
  return (be(sha512(label(p))) % (Fr.ORDER - 1n)) + 1n;
}
/** A deterministic random source for `sealBallot`: exponent(p/0), exponent(p/1), …; `drawn` records the draws. */
export function stream(p: string): { random: () => bigint; drawn: bigint[] } {
  const drawn: bigint[] = [];
  return { random: () => { const x = exponent(`${p}/${drawn.length}`); drawn.push(x); return x; }, drawn };
}

// ── Final-DST token functions (protocol §4.3, §4.4) ──────────────────────────────────────

/** The hash_to_curve message of a token: field(utf8(ballotId)) ‖ field(t). */
export function tokenMessage(ballotId: string, token: Uint8Array): Uint8Array {
  return fields(utf8(ballotId), token);
}
/** M = hash_to_curve_G1(field(ballotId) ‖ field(t), DST_TOKEN) with the piaojue/2 tag. */
export function tokenPointV2(ballotId: string, token: Uint8Array) {
  return hashToG1(tokenMessage(ballotId, token), DST_TOKEN);
}
/** SHA-256(message(DST_TOKEN_HASH, utf8(ballotId), t)) with the piaojue/2 tag. */
export function tokenHashV2(ballotId: string, token: Uint8Array): Uint8Array {
  return sha256(message(DST_TOKEN_HASH, utf8(ballotId), token));
}
/** e(σ, g2) = e(M, pk) under the piaojue/2 token point. */
export function tokenValidV2(publicKey: Uint8Array, ballotId: string, token: Uint8Array, sigma: Uint8Array): boolean {
  const { Fp12 } = bls12_381.fields;
  const gt = bls12_381.pairingBatch([
    { g1: G1.fromBytes(sigma), g2: G2.BASE.negate() },
    { g1: tokenPointV2(ballotId, token), g2: G2.fromBytes(publicKey) },
  ]);
  return Fp12.eql(gt, Fp12.ONE);
}

// ── Chaum–Pedersen with a fixed nonce (protocol §4.6) ─────────────────────────────────────

/** proveDleq with the nonce w given: a = w·g1, b = w·g2, c = H(dst; context, g1, h1, g2, h2, a, b), s = w + c·x. */
export function proveDleqWithNonce(dst: string, context: Uint8Array, st: DleqStatement, x: bigint, w: bigint): { challenge: bigint; response: bigint; a: Element; b: Element } {
  const a = st.g1.multiply(w);
  const b = st.g2.multiply(w);
  const challenge = hashToExponent(dst, context, st.g1.toBytes(), st.h1.toBytes(), st.g2.toBytes(), st.h2.toBytes(), a.toBytes(), b.toBytes());
  return { challenge, response: modL(w + challenge * x), a, b };
}
/** Wire form c ‖ s (64 bytes, each little-endian) as hex. */
export function dleqHex(p: { challenge: bigint; response: bigint }): string {
  return exponentToHex(p.challenge) + exponentToHex(p.response);
}

// ── Ceremony (protocol §4.8) ──────────────────────────────────────────────────────────────

export const CEREMONY_ID = 'c-vector';
export const DEVICE_NAMES = ['监票人甲', '监票人乙', '监票人丙'];

export type SeededCeremony = {
  readonly params: CeremonyParams;
  readonly seeds: Uint8Array[];
  readonly secrets: DeviceSecret[];
  readonly dealers: DealerState[];
  readonly record: CeremonyRecord;
  /** s_j (BLS scalar) and x_j (exponent) of device j at j−1. */
  readonly shares: { token: bigint; election: bigint }[];
  readonly transcript: Uint8Array;
};

/** The n = 3, t = 2 ceremony of the vectors: every device key and polynomial from seed_i = bytes32("ceremony/seed-i"). */
export function seededCeremony(): SeededCeremony {
  const n = 3;
  const t = 2;
  const seeds = Array.from({ length: n }, (_, i) => bytes32(`ceremony/seed-${i + 1}`));
  const keys = seeds.map((s, i) => generateDeviceKey(i + 1, DEVICE_NAMES[i]!, s));
  const params: CeremonyParams = { ceremonyId: CEREMONY_ID, n, t, devices: keys.map((k) => k.key) };
  const secrets = keys.map((k) => k.secret);
  const dealt = secrets.map((s, i) => dealerCommit(params, i + 1, s, { seed: seeds[i]! }));
  const commits = dealt.map((d) => d.message);
  const reveals = dealt.map((d) => dealerReveal(params, d.state, commits));
  const received = dealt.map((d) => receiveShares(params, d.state, commits, reveals));
  const acks = received.map((r) => {
    if (!r.ok) throw new Error(`vector ceremony failed: ${r.failure.reason}`);
    return r.ack;
  });
  const shares = received.map((r) => (r.ok ? { token: r.shares.tokenShare, election: r.shares.electionShare } : { token: 0n, election: 0n }));
  const transcript = received[0]!.ok ? received[0]!.transcript : new Uint8Array(32);
  return { params, seeds, secrets, dealers: dealt.map((d) => d.state), record: { params, commits, reveals, acks }, shares, transcript };
}

/** message(DST_CEREMONY_SIGNATURE, utf8('complaint'), utf8(ceremonyId), u32be(from), u32be(against), key, proof). */
export function complaintMessage(ceremonyId: string, from: number, against: number, key: Uint8Array, proof: Uint8Array): Uint8Array {
  return message(DST_CEREMONY_SIGNATURE, utf8('complaint'), utf8(ceremonyId), u32be(from), u32be(against), key, proof);
}

/** A complaint by `from` against `against` with a fixed DLEQ nonce (the construction of crypto/ceremony.ts). */
export function complaintWithNonce(c: SeededCeremony, from: number, against: number, w: bigint): { complaint: CeremonyComplaint; K: Element; context: Uint8Array } {
  const E = (i: number) => RP.fromHex(c.params.devices[i - 1]!.encryptionKey);
  const d = c.secrets[from - 1]!.encryptionSecret;
  const K = E(against).multiply(d);
  const context = fields(utf8(c.params.ceremonyId), u32be(against), u32be(from));
  const proof = proveDleqWithNonce(DST_COMPLAINT_PROOF, context, { g1: BASE, h1: E(from), g2: E(against), h2: K }, d, w);
  const proofHex = dleqHex(proof);
  const signature = toHex(ed25519Sign(c.secrets[from - 1]!.signingSecret, complaintMessage(c.params.ceremonyId, from, against, K.toBytes(), fromHex(proofHex, 64, 'proof'))));
  return { complaint: { from, against, key: toHex(K.toBytes()), proof: proofHex, signature }, K, context };
}

/** Dealer `i` of the ceremony cheats after its commit: it reveals shares of f_i + 1 under the original commitments. */
export function cheatingReveal(c: SeededCeremony, i: number): CeremonyReveal {
  const st = c.dealers[i - 1]!;
  const bad: DealerState = { ...st, tokenCoefficients: [Fr.add(st.tokenCoefficients[0]!, 1n), ...st.tokenCoefficients.slice(1)] };
  return dealerReveal(c.params, bad, c.record.commits);
}

// ── Device engines with the seeded keys (crypto/device.ts) ────────────────────────────────

/** A device state holding the seeded keys and the ceremony's shares, as crypto/device.ts keeps it. */
export function deviceState(c: SeededCeremony, index: number, meetingId: string): DeviceState {
  const s = c.secrets[index - 1]!;
  const sh = c.shares[index - 1]!;
  return {
    v: 1, meetingId, key: c.params.devices[index - 1]!,
    signingSecret: toHex(s.signingSecret), encryptionSecret: toHex(encodeExponent(s.encryptionSecret)),
    ceremonyId: c.params.ceremonyId, dealer: null,
    shares: { token: toHex(encodeScalar(sh.token)), election: toHex(encodeExponent(sh.election)) },
    ack: c.record.acks[index - 1]!, failure: null, ballots: {},
    electionKey: elementToHex(c.record.reveals.reduce((acc, r) => acc.add(elementFromHex(r.electionCommitments[0]!)), RP.ZERO)),
  };
}

// ── Decryption shares with fixed nonces (protocol §9.2) ───────────────────────────────────

/** Device `index`'s published decryption share of `sums`, nonce of entry k = exponent(`${tag}/decryption/${index}/${k}`). */
export function decryptionShareWithNonce(ballotId: string, electionKey: Uint8Array, index: number, x: bigint, sums: readonly Ciphertext[], tag: string): PublishedShare {
  const X = BASE.multiply(x);
  const factors: string[] = [];
  const proofs: string[] = [];
  sums.forEach(({ alpha }, k) => {
    if (alpha.equals(RP.ZERO)) {
      factors.push('00'.repeat(32));
      proofs.push('00'.repeat(64));
      return;
    }
    const D = alpha.multiply(x);
    const context = fields(utf8(ballotId), electionKey, u32be(index), u32be(k));
    factors.push(toHex(D.toBytes()));
    proofs.push(dleqHex(proveDleqWithNonce(DST_DECRYPTION_PROOF, context, { g1: BASE, h1: X, g2: alpha, h2: D }, x, exponent(`${tag}/decryption/${index}/${k}`))));
  });
  return { index, factors, proofs };
}

// ── The vector bundle (protocol §7) ───────────────────────────────────────────────────────

export const BALLOT_ID = 'ballot-2026-03-a';
export const MEETING_ID = 'meeting-2026-03';

/** Choices of the casts, in issuance order; u4 is issued but never casts, u5 is absent. */
export const CAST_CHOICES: readonly (readonly ApprovalOption[])[] = [
  ['agree', 'agree'],
  ['agree', 'disagree'],
  ['agree', 'abstain'],
];

/** Devices whose decryption shares the bundle publishes (t = 2 of 3: device 2 is the one left out). */
export const DECRYPTING_DEVICES = [1, 3];

export type VectorElection = {
  readonly ceremony: SeededCeremony;
  readonly def: BallotDefinition;
  readonly publicKey: string;
  readonly electionKey: string;
  readonly serverSecret: Uint8Array;
  readonly serverKey: string;
  readonly castKey: Uint8Array;
  readonly roster: RosterEntry[];
  readonly logs: (IssuanceLog | null)[];
  /** Per cast in issuance order: the token, r, B, the partials, σ, the random draws, the cast, the receipt. */
  readonly casts: {
    token: Uint8Array; r: bigint; blinded: Uint8Array; partials: { index: number; partial: string }[]; sigma: Uint8Array;
    selections: number[][]; random: bigint[]; cast: SealedCast; mac: string; receipt: Receipt;
  }[];
  readonly bundle: Bundle;
};

/** The definition of the vector ballot: a decision with two items, default rule. */
export function vectorDefinition(): BallotDefinition {
  return {
    id: BALLOT_ID, meetingId: MEETING_ID, title: '县委常委会票决：拟任人选（测试向量）', type: 'decision',
    items: [
      { id: 'item-1', nominee: '王明', post: '县财政局局长' },
      { id: 'item-2', nominee: '陈静', post: '县教育局局长' },
    ],
    options: ['agree', 'disagree', 'abstain'],
    rule: { option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } },
    params: {},
    recused: [],
    recusedItems: [],
    round: { number: 1, previous: null },
  };
}

/**
 * Per-entry totals of n ballots from the decrypted sums by exhaustive search, written from
 * protocol §9.3 (not from crypto/decryption.ts): an entry-wise entry's total is the c ∈ [0, n]
 * with M = c·G; a packed group's digits d_i ≥ 0 with Σ d_i ≤ n and M = (Σ d_i·B^i)·G. Null if
 * some sum has none. Small n only.
 */
function naiveTotals(shape: BallotShape, decrypted: readonly Element[], n: number): number[] | null {
  const times = (m: number) => (m === 0 ? RP.ZERO : BASE.multiply(BigInt(m)));
  const out: number[] = [];
  let k = 0;
  for (const g of shape.groups) {
    const d = g.size - g.min;
    if (!specPacked(g)) {
      for (let e = 0; e < g.size; e++) {
        const M = decrypted[k++]!;
        const c = Array.from({ length: n + 1 }, (_, c) => c).find((c) => times(c).equals(M));
        if (c === undefined) return null;
        out.push(c);
      }
      continue;
    }
    const M = decrypted[k++]!;
    const tuples: number[][] = d === 0 ? [[]] : d === 1 ? Array.from({ length: n + 1 }, (_, a) => [a])
      : Array.from({ length: n + 1 }, (_, a) => Array.from({ length: n + 1 - a }, (_, b) => [a, b])).flat();
    const digits = tuples.find((t) => times(t.reduce((s, x, i) => s + x * B ** i, 0)).equals(M));
    if (!digits) return null;
    out.push(...(g.min === 1 ? [n - digits.reduce((a, b) => a + b, 0), ...digits] : digits));
  }
  return out;
}

/** Everything §7.4 computes from the casts, with the piaojue/2 token hash: order, root, sums, decryption, tally; then signs. */
export function assembleV2(
  parts: Omit<UnsignedBundle, 'version' | 'ballots' | 'merkleRoot' | 'sums' | 'decryption' | 'tally' | 'serverKey'>,
  casts: readonly SealedCast[],
  serverSecret: Uint8Array,
  shares: (sums: Ciphertext[]) => PublishedShare[],
  opts: { sort?: boolean; claimedTally?: Bundle['tally'] } = {},
): Bundle {
  const def = parts.ballot;
  const sorted = opts.sort === false ? [...casts] : [...casts].sort((x, y) => compareBytes(tokenHashV2(def.id, fromHex(x.token, 32, 't')), tokenHashV2(def.id, fromHex(y.token, 32, 't'))));
  const shape = ballotShape(def);
  const sums = sumCiphertexts(shape, sorted.map((c) => parseSealedBallot(shape, fromHex(c.sealed, undefined, 'sealed'))));
  const decryption = shares(sums);
  const used = decryption.slice(0, parts.ceremony.params.t).map((d) => ({
    index: d.index, factors: d.factors.map((f) => (/^0+$/.test(f) ? RP.ZERO : RP.fromHex(f))), proofs: d.factors.map(() => null),
  }));
  const counts = naiveTotals(shape, combineDecryptionShares(sums, used), sorted.length);
  if (counts === null && !opts.claimedTally) throw new Error('the sums do not decrypt to counts');
  const unsigned: UnsignedBundle = {
    version: PROTOCOL_VERSION,
    ballot: def,
    ceremony: parts.ceremony,
    publicKey: parts.publicKey,
    electionKey: parts.electionKey,
    roster: parts.roster,
    issuanceLogs: parts.issuanceLogs,
    ballots: sorted,
    merkleRoot: toHex(merkleRoot(sorted.map((c) => leafHash(castLeaf(def.id, c))))),
    sums: sums.map((c) => toHex(encodeCiphertext(c))),
    decryption,
    tally: opts.claimedTally ?? tallyFromCounts(def, parts.roster, sorted.length, counts as number[]),
    serverKey: toHex(generateServerKey(serverSecret).publicKey),
  };
  return signBundle(unsigned, serverSecret);
}

/** The decryption shares of the vector devices on `sums`, nonces tagged with `tag`. */
export function sharesOf(e: Pick<VectorElection, 'ceremony' | 'def' | 'electionKey'>, tag: string, devices = DECRYPTING_DEVICES) {
  return (sums: Ciphertext[]): PublishedShare[] =>
    devices.map((i) => decryptionShareWithNonce(e.def.id, fromHex(e.electionKey, 32, 'Y'), i, e.ceremony.shares[i - 1]!.election, sums, tag));
}

/** The whole vector ballot, from the seeded ceremony to the signed bundle (see the module comment). */
export function vectorElection(): VectorElection {
  const ceremony = seededCeremony();
  const def = vectorDefinition();
  const { n, t } = ceremony.params;
  const tokenPk = ceremony.record.reveals.reduce((acc, r) => acc.add(G2.fromHex(r.tokenCommitments[0]!)), G2.ZERO);
  const electionY = ceremony.record.reveals.reduce((acc, r) => acc.add(RP.fromHex(r.electionCommitments[0]!)), RP.ZERO);
  const publicKey = toHex(tokenPk.toBytes(true));
  const electionKey = toHex(electionY.toBytes());
  const serverSecret = bytes32('server-key-seed');
  const serverKey = toHex(generateServerKey(serverSecret).publicKey);
  const castKey = bytes32('cast-key');
  const names = ['赵一', '钱二', '孙三', '李四', '周五'];
  const members = names.map((name, i) => ({ memberId: `u${i + 1}`, name, present: i < 4 }));
  const present = members.filter((m) => m.present).map((m) => m.memberId);
  // Every device confirms the attendance (count-0 logs); devices 1 and 2 sign every request.
  const confirmed = Array.from({ length: n }, (_, i) => confirmAttendance(deviceState(ceremony, i + 1, MEETING_ID), def.id, present));
  let devices = confirmed.map((c) => c.state);
  const logs: (IssuanceLog | null)[] = confirmed.map((c) => c.log);
  const casts: VectorElection['casts'] = [];
  present.forEach((memberId, k) => {
    const token = bytes32(`bundle/token-${k + 1}`);
    const r = scalar(`bundle/r-${k + 1}`);
    const blinded = tokenPointV2(def.id, token).multiply(r).toBytes(true);
    const partials: { index: number; partial: string }[] = [];
    devices = devices.map((d, j) => {
      if (j >= t) return d;
      const out = signRequests(d, def.id, [{ ballotId: def.id, memberId, blinded: toHex(blinded), reissue: false }]);
      if (out.log) logs[j] = out.log;
      partials.push(...out.partials.map((p) => ({ index: j + 1, partial: p.partial })));
      return out.state;
    });
    for (const p of partials)
      if (!verifyPartial(publicShareOf(ceremony, p.index).toBytes(true), blinded, fromHex(p.partial, 48, 'partial'))) throw new Error('bad partial');
    const S = combinePartials(partials.map((p) => ({ index: p.index, partial: fromHex(p.partial, 48, 'partial') })));
    const sigma = G1.fromBytes(S).multiply(Fr.inv(r)).toBytes(true);
    if (!tokenValidV2(fromHex(publicKey, 96, 'pk'), def.id, token, sigma)) throw new Error('σ does not verify');
    const choices = CAST_CHOICES[k];
    if (!choices) return;
    const selections = selectionsOf(def.options as ApprovalOption[], choices);
    const th = tokenHashV2(def.id, token);
    const src = stream(`bundle/seal-${k + 1}`);
    const sealed = sealBallot({ ballotId: def.id, electionKey: fromHex(electionKey, 32, 'Y'), tokenHash: th }, ballotShape(def), selections, { random: src.random });
    const c = ballotHash(def.id, sealed);
    const cast: SealedCast = { token: toHex(token), signature: toHex(sigma), sealed: toHex(sealed), commitment: toHex(c) };
    const receipt = signReceipt(serverSecret, serverKey, { ballotId: def.id, tokenHash: toHex(th), sigma: toHex(sigma), commitment: toHex(c), publicKey, electionKey });
    casts.push({ token, r, blinded, partials, sigma, selections, random: src.drawn, cast, mac: castMac(castKey, def.id, token, sigma, c), receipt });
  });
  const roster: RosterEntry[] = members.map((m) => ({ memberId: m.memberId, name: m.name, kind: 'standing', present: m.present, issued: m.present ? 1 : 0 }));
  const e = { ceremony, def, electionKey };
  const bundle = assembleV2(
    { ballot: def, ceremony: ceremony.record, publicKey, electionKey, roster, issuanceLogs: logs },
    casts.map((c) => c.cast), serverSecret, sharesOf(e, 'bundle'),
  );
  return { ceremony, def, publicKey, electionKey, serverSecret, serverKey, castKey, roster, logs, casts, bundle };
}

/** pk_j = s_j·g2 of the seeded ceremony. */
export function publicShareOf(c: SeededCeremony, j: number) {
  return G2.BASE.multiply(c.shares[j - 1]!.token);
}

// ── Tampered bundles: one per verifier check (protocol §10.1) ─────────────────────────────

type AnyBundle = Record<string, any>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Re-sign a changed copy with the real server key (a cheating server signs its own lie). */
function resign(e: VectorElection, change: (b: AnyBundle) => void): Bundle {
  const b = clone(e.bundle) as AnyBundle;
  change(b);
  const { serverSignature: _s, ...rest } = b;
  return signBundle(rest as UnsignedBundle, e.serverSecret);
}

/** Re-assemble from changed casts (order kept as given): root, sums, decryption by devices 1 and 3, tally, signature. */
function recount(e: VectorElection, tag: string, change: (casts: SealedCast[]) => SealedCast[], opts: { electionKey?: string; claimedTally?: Bundle['tally'] } = {}): Bundle {
  const electionKey = opts.electionKey ?? e.electionKey;
  const casts = change(clone(e.bundle.ballots) as SealedCast[]);
  const b = e.bundle;
  const shares = sharesOf({ ceremony: e.ceremony, def: e.def, electionKey }, tag);
  return assembleV2(
    { ballot: b.ballot, ceremony: b.ceremony, publicKey: b.publicKey, electionKey, roster: b.roster, issuanceLogs: b.issuanceLogs },
    casts, e.serverSecret, shares, opts.claimedTally ? { sort: false, claimedTally: opts.claimedTally } : { sort: false },
  );
}

/** Flip the hex digit at `pos`. */
function flip(h: string, pos: number): string {
  return h.slice(0, pos) + (h[pos] === '0' ? '1' : '0') + h.slice(pos + 1);
}

export type FailureRow = { readonly code: string; readonly ballot?: number };
export type NegativeVector = {
  readonly name: string;
  readonly description: string;
  readonly options: { serverKey?: string; previous?: unknown };
  /** The distinct failure codes, in report order. */
  readonly expected: readonly string[];
  /** Every failure the verifier reports, in order (code, and the ballot index when it names one). */
  readonly failures: readonly FailureRow[];
  readonly bundle: unknown;
};

/** One tampered bundle per check of CHECKS (protocol §10.1), each built so that exactly the listed failures result. */
export function negativeVectors(e: VectorElection): NegativeVector[] {
  const out: NegativeVector[] = [];
  const add = (name: string, description: string, failures: FailureRow[], bundle: unknown, options: { serverKey?: string; previous?: unknown } = {}) =>
    out.push({ name, description, options, expected: [...new Set(failures.map((f) => f.code))], failures, bundle });
  const sealShape = ballotShape(e.def);

  add('MALFORMED', 'an unknown member "extra" (the parser refuses any member set but the documented one; the verifier stops)',
    [{ code: 'MALFORMED' }], { ...clone(e.bundle), extra: 1 });
  add('ROUND', 'the honest bundle (a first round) checked as the round after itself (options.previous): it names no previous bundle',
    [{ code: 'ROUND' }], clone(e.bundle), { previous: clone(e.bundle) });
  add('BUNDLE_SIGNATURE', 'the title changed after signing, not re-signed', [{ code: 'BUNDLE_SIGNATURE' }],
    (() => { const b = clone(e.bundle) as AnyBundle; b.ballot.title = '另一个标题'; return b; })());
  add('SERVER_KEY', 'the honest bundle, checked against another pinned server key (the receipt vectors\' key)', [{ code: 'SERVER_KEY' }],
    clone(e.bundle), { serverKey: toHex(generateServerKey(bytes32('receipt/server-key-seed')).publicKey) });
  add('CEREMONY', 'the first ack names another transcript (one digit changed), re-signed. Without a valid ceremony the public shares are unknown, so the decryption cannot be checked and the counts cannot be recomputed: TALLY_MISMATCH follows',
    [{ code: 'CEREMONY' }, { code: 'TALLY_MISMATCH' }], resign(e, (b) => (b.ceremony.acks[0].transcript = flip(b.ceremony.acks[0].transcript, 10))));
  // PUBLIC_KEY: a server that mints under a key of its own, consistently (every σ re-made, root recomputed).
  {
    const own = scalar('tamper/own-token-key');
    const pk = G2.BASE.multiply(own).toBytes(true);
    const b = recount(e, 'bundle', (cs) => cs.map((c) => ({ ...c, signature: toHex(tokenPointV2(e.def.id, fromHex(c.token, 32, 't')).multiply(own).toBytes(true)) })));
    const signed = resign({ ...e, bundle: b }, (x) => (x.publicKey = toHex(pk)));
    add('PUBLIC_KEY', 'the server\'s own token key scalar("tamper/own-token-key") instead of the ceremony\'s, every σ made under it and the root recomputed: only PUBLIC_KEY fails',
      [{ code: 'PUBLIC_KEY' }], signed);
  }
  // ELECTION_KEY: ballots sealed under the server's own key y'; the devices decrypt the sums they are handed.
  {
    const y = exponent('tamper/own-election-key');
    const Y = toHex(BASE.multiply(y).toBytes());
    const b = recount(e, 'ELECTION_KEY', (cs) => cs.map((c) => {
      const k = e.casts.findIndex((x) => x.cast.token === c.token);
      const src = stream(`tamper/election-key/seal-${k + 1}`);
      const sealed = sealBallot({ ballotId: e.def.id, electionKey: fromHex(Y, 32, 'Y'), tokenHash: tokenHashV2(e.def.id, fromHex(c.token, 32, 't')) }, sealShape, e.casts[k]!.selections, { random: src.random });
      return { ...c, sealed: toHex(sealed), commitment: toHex(ballotHash(e.def.id, sealed)) };
    }), { electionKey: Y, claimedTally: e.bundle.tally });
    add('ELECTION_KEY', 'every ballot sealed under the server\'s own election key exponent("tamper/own-election-key"), the honest tally claimed; the scrutineers\' shares (valid proofs, context naming that key) decrypt the sums to no count, so TALLY_MISMATCH follows twice: entry 0 does not decrypt, and the counts cannot be recomputed',
      [{ code: 'ELECTION_KEY' }, { code: 'TALLY_MISMATCH' }, { code: 'TALLY_MISMATCH' }], b);
  }
  add('ISSUANCE_LOG', 'the roster lists 李四 (u4) as issued 2 tokens; every device log names u4 once',
    [{ code: 'ISSUANCE_LOG' }], resign(e, (b) => (b.roster[3].issued = 2)));
  add('ROSTER_INCONSISTENT', 'a decision ballot whose roster lists 钱二 (u2) as an alternate member (protocol §8.3)',
    [{ code: 'ROSTER_INCONSISTENT' }], resign(e, (b) => (b.roster[1].kind = 'alternate')));
  add('QUORUM_NOT_MET', 'two more absent standing members on the roster (entitled 7, present 4: 4·3 < 7·2), tally and outcomes made consistent',
    [{ code: 'QUORUM_NOT_MET' }], resign(e, (b) => {
      b.roster.push({ memberId: 'u6', name: '吴六', kind: 'standing', present: false, issued: 0 }, { memberId: 'u7', name: '郑七', kind: 'standing', present: false, issued: 0 });
      b.tally.entitled = 7;
      for (const it of b.tally.items) it.entitled = 7;
      b.tally.items[0].outcome = 'failed';
    }));
  add('COUNT_EXCEEDS_ISSUED', 'the roster lists 孙三 (u3) and 李四 (u4) as never issued (issued 2 members, 3 casts), tally.issued made consistent',
    [{ code: 'COUNT_EXCEEDS_ISSUED' }], resign(e, (b) => {
      b.roster[2].issued = 0;
      b.roster[3].issued = 0;
      b.tally.issued = 2;
    }));
  add('DUPLICATE_TOKEN', 'ballot 1 replaced by a copy of ballot 0; root, sums, decryption and counts recomputed',
    [{ code: 'DUPLICATE_TOKEN', ballot: 1 }], recount(e, 'DUPLICATE_TOKEN', (cs) => [cs[0]!, cs[0]!, cs[2]!]));
  add('BALLOT_ORDER', 'the casts in reverse order, root recomputed (reported once, at the first pair out of order)',
    [{ code: 'BALLOT_ORDER', ballot: 1 }], recount(e, 'bundle', (cs) => [...cs].reverse()));
  add('TOKEN_SIGNATURE', 'ballot 0 carries ballot 1\'s σ (a valid point, not a signature on its token), root recomputed',
    [{ code: 'TOKEN_SIGNATURE', ballot: 0 }], recount(e, 'bundle', (cs) => [{ ...cs[0]!, signature: cs[1]!.signature }, cs[1]!, cs[2]!]));
  add('BALLOT_HASH', 'ballot 2\'s commitment hash with one digit changed, root recomputed',
    [{ code: 'BALLOT_HASH', ballot: 2 }], recount(e, 'bundle', (cs) => [cs[0]!, cs[1]!, { ...cs[2]!, commitment: flip(cs[2]!.commitment, 10) }]));
  {
    const b = recount(e, 'BALLOT_PROOF', (cs) => {
      const c = cs[1]!;
      const k = e.casts.findIndex((x) => x.cast.token === c.token);
      const other = tokenHashV2(e.def.id, fromHex(cs[0]!.token, 32, 't'));
      const src = stream('tamper/ballot-proof/seal');
      const sealed = sealBallot({ ballotId: e.def.id, electionKey: fromHex(e.electionKey, 32, 'Y'), tokenHash: other }, sealShape, e.casts[k]!.selections, { random: src.random });
      return [cs[0]!, { ...c, sealed: toHex(sealed), commitment: toHex(ballotHash(e.def.id, sealed)) }, cs[2]!];
    });
    add('BALLOT_PROOF', 'ballot 1 re-sealed (same choices) with proofs bound to ballot 0\'s token hash, its commitment hash, the root, sums, decryption and counts recomputed',
      [{ code: 'BALLOT_PROOF', ballot: 1 }], b);
  }
  add('MERKLE_ROOT', 'the root with one digit changed', [{ code: 'MERKLE_ROOT' }], resign(e, (b) => (b.merkleRoot = flip(b.merkleRoot, 10))));
  add('ENCRYPTED_SUM', 'sums[0] replaced by sums[1] (the decryption shares are checked against the recomputed sums, so nothing else fails)',
    [{ code: 'ENCRYPTED_SUM' }], resign(e, (b) => (b.sums[0] = b.sums[1])));
  {
    const third = sharesOf(e, 'bundle', [2])(sumsOf(e.bundle))[0]!;
    add('DECRYPTION_SHARE', 'device 1\'s first factor replaced by its second; device 2\'s valid share added, so t valid shares remain and the counts still decrypt',
      [{ code: 'DECRYPTION_SHARE' }], resign(e, (b) => {
        b.decryption[0].factors[0] = b.decryption[0].factors[1];
        b.decryption = [b.decryption[0], third, b.decryption[1]];
      }));
  }
  add('TALLY_MISMATCH', 'item 2 claims agree 2 (the decryption gives 1); the outcome is unchanged',
    [{ code: 'TALLY_MISMATCH' }], resign(e, (b) => (b.tally.items[1].counts.agree = 2)));
  add('OUTCOME_MISMATCH', 'item 2 claims passed (agree 1: 1·2 > 5 fails)',
    [{ code: 'OUTCOME_MISMATCH' }], resign(e, (b) => (b.tally.items[1].outcome = 'passed')));
  return out;
}

/** The published sums of a bundle, decoded. */
export function sumsOf(b: Bundle): Ciphertext[] {
  return b.sums.map((s, k) => decodeSumCiphertext(fromHex(s, 64, `sums[${k}]`)));
}

/** Shares check against the sums and the ceremony's public shares (a sanity check of the builders). */
export function sharesValid(e: VectorElection, shares: readonly PublishedShare[], sums: readonly Ciphertext[]): boolean {
  return shares.every((s) => {
    const X = BASE.multiply(e.ceremony.shares[s.index - 1]!.election);
    const parsed = { index: s.index, factors: s.factors.map((f) => (/^0+$/.test(f) ? RP.ZERO : RP.fromHex(f))), proofs: s.proofs.map((p) => (/^0+$/.test(p) ? null : { challenge: le(fromHex(p.slice(0, 64), 32, 'c')), response: le(fromHex(p.slice(64), 32, 's')) })) };
    return verifyDecryptionShare({ ballotId: e.def.id, electionKey: fromHex(e.electionKey, 32, 'Y') }, X, sums, parsed).length === 0;
  });
}

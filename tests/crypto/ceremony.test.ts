// The scrutineers' dealerless key ceremony (crypto/ceremony.ts, protocol §4.8): whole runs in
// memory (3-of-… and 1-of-1), the shares giving a working threshold token and the joint
// election key; a bad share caught with a complaint that judgeComplaint upholds, a false
// complaint exposed; and a negative test for every check of verifyCeremonyRecord.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { CryptoInputError, Fr, G2, blindToken, decodeG2, fromHex, joinBytes, toHex, unblindSignature, utf8, verifyToken } from '../../crypto/index.ts';
import { DST_CEREMONY_SIGNATURE, DST_COMPLAINT_PROOF, DST_FINGERPRINT, DST_SHARE_KEY, DST_TRANSCRIPT } from '../../crypto/dst.ts';
import { fields, message, u32be } from '../../crypto/encoding.ts';
import { BASE, ELL, RP, dleqToHex, elementFromHex, encodeExponent, proveDleq } from '../../crypto/group.ts';
import { encodeScalar } from '../../crypto/points.ts';
import { lagrangeAtZero } from '../../crypto/shamir.ts';
import { combinePartials, partialSign, verifyPartial } from '../../crypto/threshold.ts';
import {
  ceremonyFingerprint, ceremonyTranscript, checkCeremonyParams, commitDigest, dealerCommit, dealerReveal, decodeSigningKey,
  generateDeviceKey, judgeComplaint, parseCeremonyComplaint, parseCeremonyRecord, parseCeremonyReveal, receiveShares,
  verifyCeremonyRecord,
  type CeremonyAck, type CeremonyCommit, type CeremonyComplaint, type CeremonyParams, type CeremonyRecord, type CeremonyReveal,
  type DealerState, type DeviceKey, type DeviceSecret,
} from '../../crypto/ceremony.ts';
import { expectCode } from '../helpers/expect-code.ts';

const CID = 'ceremony-1';

function seed(n: number, len = 32): Uint8Array {
  return new Uint8Array(len).fill(n);
}

type Devices = { keys: DeviceKey[]; secrets: DeviceSecret[] };

function makeDevices(n: number, seeded = true): Devices {
  const made = Array.from({ length: n }, (_, k) => generateDeviceKey(k + 1, `监票人 ${k + 1}`, seeded ? seed(k + 1) : undefined));
  return { keys: made.map((m) => m.key), secrets: made.map((m) => m.secret) };
}

function paramsOf(d: Devices, t: number, ceremonyId = CID): CeremonyParams {
  return checkCeremonyParams({ ceremonyId, n: d.keys.length, t, devices: d.keys });
}

type Run = {
  params: CeremonyParams;
  devices: Devices;
  states: DealerState[];
  commits: CeremonyCommit[];
  reveals: CeremonyReveal[];
  results: ReturnType<typeof receiveShares>[];
  record: CeremonyRecord;
};

/** A whole honest ceremony in memory. */
function runCeremony(n: number, t: number, opts: { seeded?: boolean } = {}): Run {
  const devices = makeDevices(n, opts.seeded ?? true);
  const params = paramsOf(devices, t);
  const r1 = devices.secrets.map((s, k) => dealerCommit(params, k + 1, s, opts.seeded === false ? {} : { seed: seed(100 + k) }));
  const states = r1.map((x) => x.state);
  const commits = r1.map((x) => x.message);
  const reveals = states.map((s) => dealerReveal(params, s, commits));
  const results = states.map((s) => receiveShares(params, s, commits, reveals));
  const acks = results.map((r) => {
    if (!r.ok) throw new Error(`ceremony failed: ${r.failure.reason}`);
    return r.ack;
  });
  return { params, devices, states, commits, reveals, results, record: { params, commits, reveals, acks } };
}

function sharesOf(run: Run) {
  return run.results.map((r) => (r.ok ? r.shares : null)!);
}

// ---- re-signing helpers: the protocol's bytes written out again, independently of the module ----

function signAs(secret: DeviceSecret, msg: Uint8Array): string {
  return toHex(ed25519.sign(msg, secret.signingSecret));
}

function resignCommit(run: Run, c: CeremonyCommit): CeremonyCommit {
  const msg = message(DST_CEREMONY_SIGNATURE, utf8('commit'), utf8(CID), u32be(c.index), fromHex(c.digest, 32, 'd'));
  return { ...c, signature: signAs(run.devices.secrets[c.index - 1]!, msg) };
}

function resignReveal(run: Run, r: CeremonyReveal): CeremonyReveal {
  const digest = commitDigest(CID, r.index, r.tokenCommitments, r.electionCommitments);
  const sharesHash = sha256(joinBytes(r.shares.map((s) => fromHex(s.ciphertext, 96, 'c'))));
  const msg = message(DST_CEREMONY_SIGNATURE, utf8('reveal'), utf8(CID), u32be(r.index), digest, sharesHash);
  return { ...r, signature: signAs(run.devices.secrets[r.index - 1]!, msg) };
}

function signAck(run: Run, j: number, transcript: Uint8Array): CeremonyAck {
  const msg = message(DST_CEREMONY_SIGNATURE, utf8('ack'), utf8(CID), u32be(j), transcript);
  return { index: j, transcript: toHex(transcript), signature: signAs(run.devices.secrets[j - 1]!, msg) };
}

/** Encrypt a chosen (token, election) share from dealer i to device j exactly as §4.8 says. */
function encryptAs(run: Run, i: number, j: number, tokenShare: bigint, electionShare: bigint): string {
  const K = elementFromHex(run.devices.keys[j - 1]!.encryptionKey).multiply(run.devices.secrets[i - 1]!.encryptionSecret);
  const okm = hkdf(sha256, K.toBytes(), undefined, message(DST_SHARE_KEY, utf8(CID), u32be(i), u32be(j)), 96);
  const body = joinBytes([encodeScalar(tokenShare), encodeExponent(electionShare)]).map((b, k) => b ^ okm[k]!);
  return toHex(joinBytes([body, hmac(sha256, okm.subarray(64), body)]));
}

/** A complaint from j against i made by hand (valid key and proof, whatever the share was). */
function complainAs(run: Run, j: number, i: number): CeremonyComplaint {
  const Ej = elementFromHex(run.devices.keys[j - 1]!.encryptionKey);
  const Ei = elementFromHex(run.devices.keys[i - 1]!.encryptionKey);
  const d = run.devices.secrets[j - 1]!.encryptionSecret;
  const K = Ei.multiply(d);
  const proof = dleqToHex(proveDleq(DST_COMPLAINT_PROOF, fields(utf8(CID), u32be(i), u32be(j)), { g1: BASE, h1: Ej, g2: Ei, h2: K }, d));
  const msg = message(DST_CEREMONY_SIGNATURE, utf8('complaint'), utf8(CID), u32be(j), u32be(i), K.toBytes(), fromHex(proof, 64, 'p'));
  return { from: j, against: i, key: toHex(K.toBytes()), proof, signature: signAs(run.devices.secrets[j - 1]!, msg) };
}

function flipHex(h: string, at = 10): string {
  const c = h[at] === '0' ? '1' : '0';
  return h.slice(0, at) + c + h.slice(at + 1);
}

function withReveal(run: Run, i: number, r: CeremonyReveal): CeremonyReveal[] {
  return run.reveals.map((x) => (x.index === i ? r : x));
}

function expectBad(record: unknown, detail: RegExp, device?: number) {
  const v = verifyCeremonyRecord(record as CeremonyRecord);
  expect(v.ok).toBe(false);
  if (v.ok) return;
  expect(v.code).toBe('CEREMONY');
  expect(v.detail).toMatch(detail);
  if (device !== undefined) expect(v.device).toBe(device);
}

// ---- whole runs --------------------------------------------------------------------------------

let run32: Run;
beforeAll(() => {
  run32 = runCeremony(3, 2);
});

describe('a whole ceremony', () => {
  for (const [n, t] of [[3, 2], [5, 3], [1, 1]] as const) {
    it(`n=${n}, t=${t}: verifies, and the shares give a working threshold token and the joint election key`, () => {
      const run = n === 3 ? run32 : runCeremony(n, t);
      const v = verifyCeremonyRecord(run.record);
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      const shares = sharesOf(run);
      // Every device acknowledged the same transcript, the one recomputed from the record.
      for (const r of run.results) expect(r.ok && r.transcript).toEqual(v.transcript);
      expect(v.transcript).toEqual(ceremonyTranscript(run.params, run.commits, run.reveals));
      // pk = Σ F_i0, electionKey = Σ E_i0.
      const pk = run.reveals.reduce((acc, r) => acc.add(G2.fromHex(r.tokenCommitments[0]!)), G2.ZERO);
      const X = run.reveals.reduce((acc, r) => acc.add(elementFromHex(r.electionCommitments[0]!)), RP.ZERO);
      expect(v.tokenPublicKey).toEqual(pk.toBytes(true));
      expect(v.electionKey).toEqual(X.toBytes());
      // Σ_i a_i0 and Σ_i b_i0 from the dealers' states: the secrets nobody holds.
      const sk = run.states.reduce((acc, s) => Fr.add(acc, s.tokenCoefficients[0]!), 0n);
      const x = run.states.reduce((acc, s) => (acc + s.electionCoefficients[0]!) % ELL, 0n);
      expect(G2.BASE.multiply(sk).toBytes(true)).toEqual(v.tokenPublicKey);
      expect(BASE.multiply(x).toBytes()).toEqual(v.electionKey);
      // Public shares are the shares' public keys.
      shares.forEach((s, k) => {
        expect(G2.BASE.multiply(s.tokenShare).toBytes(true)).toEqual(v.tokenPublicShares[k]);
        expect(BASE.multiply(s.electionShare).toBytes()).toEqual(v.electionPublicShares[k]);
      });
      // Any t shares interpolate to the joint election secret.
      const set = Array.from({ length: t }, (_, k) => n - k);
      const xr = set.reduce((acc, j) => (acc + lagrangeAtZero(set, j, ELL) * shares[j - 1]!.electionShare) % ELL, 0n);
      expect(xr).toBe(x);
      // A token signed by t devices verifies under the joint key.
      const state = blindToken('ballot-c');
      const partials = set.map((j) => ({ index: j, partial: partialSign(shares[j - 1]!.tokenShare, state.blinded) }));
      partials.forEach((p) => expect(verifyPartial(v.tokenPublicShares[p.index - 1]!, state.blinded, p.partial)).toBe(true));
      const sigma = unblindSignature(state, combinePartials(partials), v.tokenPublicKey);
      expect(verifyToken(v.tokenPublicKey, 'ballot-c', state.token, sigma)).toBe(true);
      if (t > 1) expectCode(() => unblindSignature(state, combinePartials(partials.slice(1)), v.tokenPublicKey), 'BAD_SIGNATURE');
    });
  }

  it('works unseeded (CSPRNG), and gives a different key each time', () => {
    const a = runCeremony(3, 2, { seeded: false });
    const b = runCeremony(3, 2, { seeded: false });
    const va = verifyCeremonyRecord(a.record);
    const vb = verifyCeremonyRecord(b.record);
    expect(va.ok && vb.ok).toBe(true);
    if (va.ok && vb.ok) expect(va.tokenPublicKey).not.toEqual(vb.tokenPublicKey);
  });

  it('is deterministic with seeds (test vectors), and the record survives JSON', () => {
    const again = runCeremony(3, 2);
    expect(JSON.stringify(again.record)).toBe(JSON.stringify(run32.record));
    const json = JSON.parse(JSON.stringify(run32.record));
    expect(parseCeremonyRecord(json)).toEqual(run32.record);
    expect(verifyCeremonyRecord(json).ok).toBe(true);
  });

  it('dealerReveal is deterministic: revealing twice gives the same message', () => {
    expect(dealerReveal(run32.params, run32.states[0]!, run32.commits)).toEqual(run32.reveals[0]);
  });

  it('accepts commits and reveals in any order in the round functions', () => {
    const r = receiveShares(run32.params, run32.states[1]!, [...run32.commits].reverse(), [...run32.reveals].reverse());
    expect(r.ok).toBe(true);
    expect(dealerReveal(run32.params, run32.states[2]!, [...run32.commits].reverse())).toEqual(run32.reveals[2]);
  });

  it('keeps the transcript layout of §4.8', () => {
    const p = run32.params;
    const parts: Uint8Array[] = [utf8(CID), u32be(3), u32be(2)];
    for (const d of p.devices) parts.push(u32be(d.index), utf8(d.name), fromHex(d.signingKey, 32, 's'), fromHex(d.encryptionKey, 32, 'e'));
    for (const c of run32.commits) parts.push(fromHex(c.digest, 32, 'd'));
    for (const r of run32.reveals) for (const c of [...r.tokenCommitments, ...r.electionCommitments]) parts.push(fromHex(c, c.length / 2, 'c'));
    expect(ceremonyTranscript(p, run32.commits, run32.reveals)).toEqual(sha256(message(DST_TRANSCRIPT, ...parts)));
  });
});

describe('ceremonyFingerprint', () => {
  it('is 16 digits in four groups: the first 8 bytes of the hash, big-endian, mod 10^16', () => {
    const tr = run32.results[0]!.ok ? run32.results[0]!.transcript : new Uint8Array(32);
    const fp = ceremonyFingerprint(tr);
    expect(fp).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    const h = sha256(message(DST_FINGERPRINT, tr));
    const n = BigInt('0x' + toHex(h.subarray(0, 8))) % 10n ** 16n;
    expect(fp.replace(/ /g, '')).toBe(n.toString().padStart(16, '0'));
  });

  it('zero-pads, and changes with the transcript (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (tr) => {
        const fp = ceremonyFingerprint(tr);
        expect(fp).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
        const other = tr.slice();
        other[0]! ^= 1;
        expect(ceremonyFingerprint(other)).not.toBe(fp);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a transcript that is not 32 bytes', () => {
    expectCode(() => ceremonyFingerprint(new Uint8Array(31)), 'BAD_LENGTH');
    expectCode(() => ceremonyFingerprint('00' as unknown as Uint8Array), 'BAD_TYPE');
  });
});

// ---- device keys and params ------------------------------------------------------------------

describe('generateDeviceKey', () => {
  it('derives the same key from the same seed and index, another from another index', () => {
    const a = generateDeviceKey(1, 'A', seed(9));
    expect(generateDeviceKey(1, 'A', seed(9))).toEqual(a);
    expect(generateDeviceKey(2, 'A', seed(9)).key.signingKey).not.toBe(a.key.signingKey);
    expect(toHex(ed25519.getPublicKey(a.secret.signingSecret))).toBe(a.key.signingKey);
    expect(BASE.multiply(a.secret.encryptionSecret).toBytes()).toEqual(fromHex(a.key.encryptionKey, 32, 'e'));
  });
  it('refuses short seeds, bad indices and bad names', () => {
    expectCode(() => generateDeviceKey(1, 'A', seed(1, 31)), 'BAD_LENGTH');
    expectCode(() => generateDeviceKey(0, 'A'), 'BAD_VALUE');
    expectCode(() => generateDeviceKey(16, 'A'), 'BAD_VALUE');
    expectCode(() => generateDeviceKey(1, ''), 'BAD_VALUE');
    expectCode(() => generateDeviceKey(1, 'x'.repeat(201)), 'BAD_VALUE');
    expectCode(() => generateDeviceKey(1, '\ud800'), 'BAD_VALUE');
  });
});

describe('checkCeremonyParams', () => {
  const d = makeDevices(3);
  const base = { ceremonyId: CID, n: 3, t: 2, devices: d.keys };
  it('accepts good params and returns a frozen copy', () => {
    const p = checkCeremonyParams(JSON.parse(JSON.stringify(base)));
    expect(p).toEqual(base);
    expect(Object.isFrozen(p.devices[0])).toBe(true);
  });
  it('refuses n, t out of range or inconsistent', () => {
    expectCode(() => checkCeremonyParams({ ...base, t: 4 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, t: 0 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, n: 0 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, n: 16, t: 2 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, n: 2.5 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, n: 2 }), 'BAD_LENGTH');
    expectCode(() => checkCeremonyParams({ ...base, n: 4 }), 'BAD_LENGTH');
  });
  it('refuses bad ids, shapes and names', () => {
    expectCode(() => checkCeremonyParams({ ...base, ceremonyId: 'a b' }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, extra: 1 }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams(null), 'BAD_TYPE');
    expectCode(() => checkCeremonyParams({ ...base, devices: 'x' }), 'BAD_TYPE');
    expectCode(() => checkCeremonyParams({ ...base, devices: [d.keys[1], d.keys[0], d.keys[2]] }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, devices: [{ ...d.keys[0], name: '' }, d.keys[1], d.keys[2]] }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, devices: [{ ...d.keys[0], extra: 1 }, d.keys[1], d.keys[2]] }), 'BAD_VALUE');
  });
  it('refuses a key used twice', () => {
    expectCode(() => checkCeremonyParams({ ...base, devices: [d.keys[0], { ...d.keys[1], signingKey: d.keys[0]!.signingKey }, d.keys[2]] }), 'BAD_VALUE');
    expectCode(() => checkCeremonyParams({ ...base, devices: [d.keys[0], { ...d.keys[1], encryptionKey: d.keys[0]!.encryptionKey }, d.keys[2]] }), 'BAD_VALUE');
  });
  it('decodes and validates every key', () => {
    const withKey = (k: Partial<DeviceKey>) => ({ ...base, devices: [{ ...d.keys[0], ...k }, d.keys[1], d.keys[2]] });
    expectCode(() => checkCeremonyParams(withKey({ signingKey: 'AB'.repeat(32) })), 'BAD_HEX');
    expectCode(() => checkCeremonyParams(withKey({ signingKey: 'ab'.repeat(31) })), 'BAD_LENGTH');
    expectCode(() => checkCeremonyParams(withKey({ encryptionKey: '00'.repeat(32) })), 'POINT_IDENTITY');
    expectCode(() => checkCeremonyParams(withKey({ encryptionKey: '01' + '00'.repeat(31) })), 'POINT_NOT_CANONICAL');
    // Ed25519: identity (y = 1), y ≥ p, small order (y = 0 has order 4), mixed order, no x for y.
    expectCode(() => checkCeremonyParams(withKey({ signingKey: '01' + '00'.repeat(31) })), 'POINT_IDENTITY');
    expectCode(() => checkCeremonyParams(withKey({ signingKey: 'ff'.repeat(31) + '7f' })), 'POINT_NOT_CANONICAL');
    expectCode(() => checkCeremonyParams(withKey({ signingKey: '00'.repeat(32) })), 'POINT_NOT_IN_SUBGROUP');
    const P = ed25519.Point.fromHex(d.keys[0]!.signingKey);
    const T = ed25519.Point.fromBytes(new Uint8Array(32)); // order 4
    expectCode(() => checkCeremonyParams(withKey({ signingKey: toHex(P.add(T).toBytes()) })), 'POINT_NOT_IN_SUBGROUP');
    expectCode(() => checkCeremonyParams(withKey({ signingKey: '02' + '00'.repeat(31) })), 'POINT_NOT_ON_CURVE');
    expectCode(() => decodeSigningKey(fromHex('01' + '00'.repeat(30) + '80', 32, 'k')), 'POINT_NOT_CANONICAL'); // x = 0 with the sign bit
  });
});

// ---- round functions ---------------------------------------------------------------------------

describe('dealerCommit / dealerReveal guards', () => {
  it('refuses a secret that is not the device’s, an index outside 1…n, a short seed', () => {
    expectCode(() => dealerCommit(run32.params, 1, run32.devices.secrets[1]!), 'BAD_VALUE');
    expectCode(() => dealerCommit(run32.params, 4, run32.devices.secrets[0]!), 'BAD_VALUE');
    expectCode(() => dealerCommit(run32.params, 1, { ...run32.devices.secrets[0]!, encryptionSecret: 0n }), 'SCALAR_RANGE');
    expectCode(() => dealerCommit(run32.params, 1, run32.devices.secrets[0]!, { seed: seed(1, 16) }), 'BAD_LENGTH');
  });
  it('refuses to reveal before all n commits are in, or with a bad or foreign commit', () => {
    const s = run32.states[0]!;
    expectCode(() => dealerReveal(run32.params, s, run32.commits.slice(0, 2)), 'BAD_VALUE');
    expectCode(() => dealerReveal(run32.params, s, [...run32.commits, run32.commits[0]!]), 'BAD_VALUE');
    expectCode(() => dealerReveal(run32.params, s, [run32.commits[0]!, { ...run32.commits[1]!, signature: flipHex(run32.commits[1]!.signature) }, run32.commits[2]!]), 'BAD_SIGNATURE');
    const other = dealerCommit(run32.params, 1, run32.devices.secrets[0]!, { seed: seed(55) }).message;
    expectCode(() => dealerReveal(run32.params, s, [other, run32.commits[1]!, run32.commits[2]!]), 'BAD_VALUE');
    expectCode(() => dealerReveal(run32.params, s, 'x' as unknown as []), 'BAD_TYPE');
  });
  it('refuses a state from another ceremony', () => {
    const p2 = checkCeremonyParams({ ...run32.params, ceremonyId: 'other' });
    expectCode(() => dealerReveal(p2, run32.states[0]!, run32.commits), 'BAD_VALUE');
  });
});

describe('receiveShares: failures name the dealer', () => {
  const recv = (j: number, commits: readonly CeremonyCommit[], reveals: readonly CeremonyReveal[]) => receiveShares(run32.params, run32.states[j - 1]!, commits, reveals);

  it('a missing commit or reveal', () => {
    const a = recv(1, run32.commits.slice(0, 2), run32.reveals);
    expect(a.ok === false && a.failure.against).toBe(3);
    const b = recv(1, run32.commits, [run32.reveals[0]!, run32.reveals[2]!]);
    expect(b.ok === false && b.failure.against).toBe(2);
    expect(b.ok === false && b.complaint).toBeUndefined();
  });

  it('a reveal changed after commit (new commitments, validly signed) is a digest mismatch', () => {
    const fresh = dealerCommit(run32.params, 2, run32.devices.secrets[1]!, { seed: seed(77) }).state;
    const changed = dealerReveal(run32.params, fresh, [run32.commits[0]!, fresh.commit, run32.commits[2]!]);
    const r = recv(1, run32.commits, withReveal(run32, 2, changed));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.against).toBe(2);
      expect(r.failure.reason).toMatch(/digest/);
      expect(r.complaint).toBeUndefined();
    }
  });

  it('a reveal or commit with a bad signature, a bad point, a wrong share list', () => {
    const rv = run32.reveals[2]!;
    const cases: [CeremonyCommit[], CeremonyReveal[], RegExp][] = [
      [[run32.commits[0]!, run32.commits[1]!, { ...run32.commits[2]!, signature: flipHex(run32.commits[2]!.signature) }], run32.reveals, /commit .* signed/],
      [run32.commits, withReveal(run32, 3, { ...rv, signature: flipHex(rv.signature) }), /reveal .* signed/],
      [run32.commits, withReveal(run32, 3, { ...rv, tokenCommitments: ['c0' + '00'.repeat(95), rv.tokenCommitments[1]!] }), /bad commitment point \(POINT_IDENTITY\)/],
      [run32.commits, withReveal(run32, 3, { ...rv, tokenCommitments: rv.tokenCommitments.slice(0, 1) }), /t = 2/],
      [run32.commits, withReveal(run32, 3, resignReveal(run32, { ...rv, shares: [...rv.shares].reverse() })), /one share for every other device/],
    ];
    for (const [c, r, reason] of cases) {
      const out = recv(1, c, r);
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.failure.against).toBe(3);
        expect(out.failure.reason).toMatch(reason);
        expect(out.complaint).toBeUndefined();
      }
    }
  });

  it('its own commit or reveal replaced by another validly signed one', () => {
    const fresh = dealerCommit(run32.params, 1, run32.devices.secrets[0]!, { seed: seed(78) }).state;
    const commits = [fresh.commit, run32.commits[1]!, run32.commits[2]!];
    const reveals = withReveal(run32, 1, dealerReveal(run32.params, fresh, commits));
    const r = recv(1, commits, reveals);
    expect(r.ok === false && r.failure.against).toBe(1);
  });

  it('throws on malformed lists (not arrays, repeated or foreign indices, bad shapes)', () => {
    expectCode(() => recv(1, 'x' as unknown as [], run32.reveals), 'BAD_TYPE');
    expectCode(() => recv(1, [...run32.commits, run32.commits[0]!], run32.reveals), 'BAD_VALUE');
    expectCode(() => recv(1, run32.commits, [...run32.reveals.slice(0, 2), { ...run32.reveals[2]!, index: 4 }]), 'BAD_VALUE');
    expectCode(() => recv(1, run32.commits, [...run32.reveals.slice(0, 2), { ...run32.reveals[2]!, extra: 1 } as CeremonyReveal]), 'BAD_VALUE');
  });
});

describe('bad shares, complaints and judgeComplaint', () => {
  /** Dealer 2 sends device 1 a bad share, re-signing its reveal (a cheating dealer can). */
  function cheat(kind: 'mac' | 'value' | 'range'): CeremonyReveal {
    const rv = run32.reveals[1]!;
    const s = run32.states[1]!;
    const f1 = s.tokenCoefficients.reduce((acc, a) => Fr.add(acc, a), 0n); // f_2(1) = Σ a_k
    const g1 = s.electionCoefficients.reduce((acc, b) => (acc + b) % ELL, 0n);
    let ct: string;
    if (kind === 'mac') ct = flipHex(rv.shares[0]!.ciphertext, 2);
    else if (kind === 'value') ct = encryptAs(run32, 2, 1, Fr.add(f1, 1n), g1);
    else {
      // A correctly MACed plaintext whose token share is r (out of range).
      const K = elementFromHex(run32.devices.keys[0]!.encryptionKey).multiply(run32.devices.secrets[1]!.encryptionSecret);
      const okm = hkdf(sha256, K.toBytes(), undefined, message(DST_SHARE_KEY, utf8(CID), u32be(2), u32be(1)), 96);
      const pt = joinBytes([fromHex(Fr.ORDER.toString(16).padStart(64, '0'), 32, 'r'), encodeExponent(g1)]);
      const body = pt.map((b, k) => b ^ okm[k]!);
      ct = toHex(joinBytes([body, hmac(sha256, okm.subarray(64), body)]));
    }
    expect(rv.shares[0]!.to).toBe(1);
    return resignReveal(run32, { ...rv, shares: [{ to: 1, ciphertext: ct }, rv.shares[1]!] });
  }

  for (const kind of ['mac', 'value', 'range'] as const) {
    it(`a bad share (${kind}) is caught by its receiver; the complaint names the sender and is upheld`, () => {
      const reveals = withReveal(run32, 2, cheat(kind));
      // Publicly the re-signed reveal is fine (same commitments, so same transcript): only the receiver can tell.
      expect(verifyCeremonyRecord({ ...run32.record, reveals }).ok).toBe(true);
      const r = receiveShares(run32.params, run32.states[0]!, run32.commits, reveals);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.failure.against).toBe(2);
      expect(r.complaint).toBeDefined();
      const c = r.complaint!;
      expect(c.from).toBe(1);
      expect(c.against).toBe(2);
      expect(parseCeremonyComplaint(JSON.parse(JSON.stringify(c)))).toEqual(c);
      expect(judgeComplaint(run32.params, reveals, c)).toBe('accused-cheated');
      // The other device got a good share and is not fooled.
      expect(receiveShares(run32.params, run32.states[2]!, run32.commits, reveals).ok).toBe(true);
    });
  }

  it('a false complaint against an honest dealer: accuser-lied', () => {
    const c = complainAs(run32, 3, 1);
    expect(judgeComplaint(run32.params, run32.reveals, c)).toBe('accuser-lied');
  });

  it('an unfounded or malformed complaint is invalid', () => {
    const c = complainAs(run32, 3, 1);
    const p = run32.params;
    expect(judgeComplaint(p, run32.reveals, { ...c, signature: flipHex(c.signature) })).toBe('invalid');
    // Any other key K′ cannot carry a valid proof; a proof for another pair does not transfer.
    const wrongKey = { ...c, key: toHex(BASE.multiply(5n).toBytes()) };
    expect(judgeComplaint(p, run32.reveals, wrongKey)).toBe('invalid');
    const other = complainAs(run32, 2, 1);
    expect(judgeComplaint(p, run32.reveals, { ...c, proof: other.proof })).toBe('invalid');
    expect(judgeComplaint(p, run32.reveals, { ...c, from: 1 })).toBe('invalid');
    expect(judgeComplaint(p, run32.reveals, { ...c, against: 4 })).toBe('invalid');
    expect(judgeComplaint(p, run32.reveals.slice(1), c)).toBe('invalid');
    const rv = run32.reveals[0]!;
    expect(judgeComplaint(p, withReveal(run32, 1, { ...rv, signature: flipHex(rv.signature) }), c)).toBe('invalid');
    for (const junk of [null, 5, {}, { ...c, extra: 1 }]) expect(judgeComplaint(p, run32.reveals, junk as CeremonyComplaint)).toBe('invalid');
    expect(judgeComplaint(null as unknown as CeremonyParams, run32.reveals, c)).toBe('invalid');
    expect(judgeComplaint(p, null as unknown as [], c)).toBe('invalid');
  });
});

// ---- verifyCeremonyRecord: one negative test per check -----------------------------------------

describe('verifyCeremonyRecord refuses', () => {
  const rec = () => run32.record;
  const commit = (k: number) => run32.commits[k]!;
  const reveal = (k: number) => run32.reveals[k]!;
  const ack = (k: number) => rec().acks[k]!;

  it('malformed records, without throwing', () => {
    for (const junk of [null, undefined, 5, 'x', [], {}, { ...rec(), extra: 1 }, { ...rec(), commits: 'x' }])
      expectBad(junk, /malformed/);
    expectBad({ ...rec(), reveals: [{ ...reveal(0), signature: 'AB' }, reveal(1), reveal(2)] }, /malformed/);
  });

  it('each commit signature', () => {
    for (let k = 0; k < 3; k++)
      expectBad({ ...rec(), commits: rec().commits.map((c, i) => (i === k ? { ...c, signature: flipHex(c.signature) } : c)) }, /commit of device .* signed/, k + 1);
  });

  it('each reveal signature', () => {
    for (let k = 0; k < 3; k++)
      expectBad({ ...rec(), reveals: rec().reveals.map((r, i) => (i === k ? { ...r, signature: flipHex(r.signature) } : r)) }, /reveal of device .* signed/, k + 1);
  });

  it('a ciphertext changed after signing', () => {
    const r = reveal(0);
    expectBad({ ...rec(), reveals: withReveal(run32, 1, { ...r, shares: [{ ...r.shares[0]!, ciphertext: flipHex(r.shares[0]!.ciphertext) }, r.shares[1]!] }) }, /signed/, 1);
  });

  it('each ack signature', () => {
    for (let k = 0; k < 3; k++)
      expectBad({ ...rec(), acks: rec().acks.map((a, i) => (i === k ? { ...a, signature: flipHex(a.signature) } : a)) }, /ack of device .* signed/, k + 1);
  });

  it('a digest mismatch (commit digest changed and re-signed)', () => {
    const c = resignCommit(run32, { ...commit(1), digest: flipHex(commit(1).digest) });
    expectBad({ ...rec(), commits: [commit(0), c, commit(2)] }, /round-1 digest/, 2);
  });

  it('a reveal changed after commit (new commitments, re-signed reveal)', () => {
    const r = resignReveal(run32, { ...reveal(2), electionCommitments: [reveal(2).electionCommitments[1]!, reveal(2).electionCommitments[0]!] });
    expectBad({ ...rec(), reveals: withReveal(run32, 3, r) }, /round-1 digest/, 3);
  });

  it('a bad commitment point in either group', () => {
    const r = reveal(1);
    // A G2 encoding of a curve point outside the prime-order subgroup: the first small x that gives one.
    const notInSubgroup = (() => {
      for (let x = 1; ; x++) {
        const b = new Uint8Array(96);
        b[0] = 0x80;
        b[95] = x;
        try {
          decodeG2(b);
        } catch (e) {
          if (e instanceof CryptoInputError && e.code === 'POINT_NOT_IN_SUBGROUP') return toHex(b);
        }
      }
    })();
    for (const [tc, ec, code] of [
      [['c0' + '00'.repeat(95), r.tokenCommitments[1]!], r.electionCommitments, 'POINT_IDENTITY'],
      [['00'.repeat(96), r.tokenCommitments[1]!], r.electionCommitments, 'POINT_NOT_COMPRESSED'],
      [[r.tokenCommitments[0]!, notInSubgroup], r.electionCommitments, 'POINT_NOT_IN_SUBGROUP'],
      [r.tokenCommitments, ['00'.repeat(32), r.electionCommitments[1]!], 'POINT_IDENTITY'],
      [r.tokenCommitments, [r.electionCommitments[0]!, 'ff'.repeat(32)], 'POINT_NOT_CANONICAL'],
    ] as [string[], string[], string][])
      expectBad({ ...rec(), reveals: withReveal(run32, 2, resignReveal(run32, { ...r, tokenCommitments: tc, electionCommitments: ec })) }, new RegExp(`bad commitment point \\(${code}\\)`), 2);
  });

  it('a wrong share list', () => {
    const r = reveal(0);
    expectBad({ ...rec(), reveals: withReveal(run32, 1, resignReveal(run32, { ...r, shares: r.shares.slice(1) })) }, /one share for every other device/, 1);
    expectBad({ ...rec(), reveals: withReveal(run32, 1, resignReveal(run32, { ...r, shares: [{ ...r.shares[0]!, to: 1 }, r.shares[1]!] })) }, /one share/, 1);
  });

  it('a missing or extra message, or lists out of order', () => {
    expectBad({ ...rec(), commits: rec().commits.slice(0, 2) }, /expected 3 commits/);
    expectBad({ ...rec(), reveals: rec().reveals.slice(0, 2) }, /expected 3 reveals/);
    expectBad({ ...rec(), acks: rec().acks.slice(0, 2) }, /expected 3 acks/);
    expectBad({ ...rec(), acks: [...rec().acks, ack(0)] }, /expected 3 acks/);
    expectBad({ ...rec(), acks: [ack(1), ack(0), ack(2)] }, /acks\[0\] must be device 1/, 1);
    expectBad({ ...rec(), commits: [commit(1), commit(0), commit(2)] }, /commits\[0\]/, 1);
    expectBad({ ...rec(), reveals: [reveal(0), reveal(2), reveal(1)] }, /reveals\[1\]/, 2);
  });

  it('a wrong ack: validly signed over another transcript', () => {
    expectBad({ ...rec(), acks: [ack(0), signAck(run32, 2, new Uint8Array(32).fill(7)), ack(2)] }, /another transcript/, 2);
  });

  it('a transcript mismatch: the params changed after the ceremony (a device renamed)', () => {
    const devices = run32.params.devices.map((d) => (d.index === 2 ? { ...d, name: 'someone else' } : d));
    expectBad({ ...rec(), params: { ...run32.params, devices } }, /another transcript/, 1);
  });

  it('n / t inconsistent with the messages', () => {
    expectBad({ ...rec(), params: { ...run32.params, t: 3 } }, /t = 3/, 1);
    expectBad({ ...rec(), params: { ...run32.params, t: 1 } }, /t = 1/, 1);
    expectBad({ ...rec(), params: { ...run32.params, n: 4 } }, /malformed/);
    const run5 = runCeremony(5, 3);
    expectBad({ ...run5.record, params: run32.params }, /expected 3 commits/);
  });

  it('a joint key that is the identity (a dealer cancelling another’s constant term)', () => {
    // n = t = 2, dealer 2 colludes with dealer 1: f_2(0) = −f_1(0), so Σ F_i0 = 0. Built by hand, validly signed.
    const run2 = runCeremony(2, 2);
    const [s1, s2] = run2.states as [DealerState, DealerState];
    const a = [Fr.neg(s1.tokenCoefficients[0]!), s2.tokenCoefficients[1]!];
    const tokenCommitments = a.map((x) => toHex(G2.BASE.multiply(x).toBytes(true)));
    const digest = commitDigest(CID, 2, tokenCommitments, s2.electionCommitments);
    const msg = message(DST_CEREMONY_SIGNATURE, utf8('commit'), utf8(CID), u32be(2), digest);
    const c2 = { index: 2, digest: toHex(digest), signature: signAs(run2.devices.secrets[1]!, msg) };
    const evil: DealerState = { ...s2, tokenCoefficients: a, tokenCommitments, commit: c2 };
    const commits = [run2.commits[0]!, c2];
    const reveals = [dealerReveal(run2.params, s1, commits), dealerReveal(run2.params, evil, commits)];
    expectBad({ params: run2.params, commits, reveals, acks: run2.record.acks }, /joint token public key is the identity/);
    const r = receiveShares(run2.params, s1, commits, reveals);
    expect(r.ok === false && r.failure.against).toBe(0);
  });
});

describe('parseCeremonyRecord and message parsers', () => {
  it('refuses extra members, bad hex and wrong lengths', () => {
    const r = run32.record;
    expectCode(() => parseCeremonyRecord({ ...r, extra: 1 }), 'BAD_VALUE');
    expectCode(() => parseCeremonyRecord({ ...r, commits: [{ ...r.commits[0]!, digest: r.commits[0]!.digest.toUpperCase() }] }), 'BAD_HEX');
    expectCode(() => parseCeremonyRecord({ ...r, acks: [{ ...r.acks[0]!, transcript: 'ab' }] }), 'BAD_LENGTH');
    expectCode(() => parseCeremonyRecord({ ...r, acks: Array(16).fill(r.acks[0]) }), 'BAD_LENGTH');
    expectCode(() => parseCeremonyRecord({ ...r, commits: [{ ...r.commits[0]!, index: 0 }] }), 'BAD_VALUE');
    expectCode(() => parseCeremonyRecord({ ...r, commits: [{ ...r.commits[0]!, index: '1' }] }), 'BAD_VALUE');
    expectCode(() => parseCeremonyRecord(null), 'BAD_TYPE');
    const rv = r.reveals[0]!;
    expectCode(() => parseCeremonyReveal({ ...rv, tokenCommitments: [rv.tokenCommitments[0]!.slice(2)] }), 'BAD_LENGTH');
    expectCode(() => parseCeremonyReveal({ ...rv, shares: [{ to: 2 }] }), 'BAD_VALUE');
    expectCode(() => parseCeremonyReveal({ ...rv, shares: [{ to: 2, ciphertext: 'ab'.repeat(95) }] }), 'BAD_LENGTH');
    expectCode(() => parseCeremonyReveal({ ...rv, electionCommitments: 'x' }), 'BAD_TYPE');
    expectCode(() => parseCeremonyComplaint({ from: 1, against: 2, key: 'ab'.repeat(32), proof: 'ab'.repeat(63), signature: 'ab'.repeat(64) }), 'BAD_LENGTH');
  });
});

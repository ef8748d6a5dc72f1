// The piaojue/2 test vectors (docs/vectors/*.json, protocol Appendix A): the files are exactly
// what tests/helpers/vector-files.ts builds today (so `npm run vectors` is byte-identical), and
// every value is recomputed here with the production functions and compared byte for byte; the
// vector bundle verifies, is rebuilt by assembleBundle, and each tampered bundle gives exactly
// its listed failures.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import {
  CHECKS, DST_TOKEN, DST_TOKEN_HASH, RP, assembleBundle, ballotHash, blindToken, canonical, castMac, ceremonyFingerprint,
  ceremonyTranscript, checkCeremonyParams, checkReceipt, combineDecryptionShares, combinePartials, dealerCommit,
  dealerReveal, decodeElement, decodeExponent, decodeScalar, decodeSigningKey, decodeSumCiphertext, decryptCounts,
  decryptionShare, dleqFromHex, ed25519Verify, elementFromHex, encodeElement, evalPolynomial, exponentFromHex, fromHex,
  generateDeviceKey, generateServerKey, hashToExponent, inclusionProof, judgeComplaint, lagrangeAtZero, leafHash, logHead,
  merkleRoot, mulPublic, BASE, parseDecryptionShare, parseJsonStrict, parseSealedBallot, sealedCiphertexts, partialSign, publicShareElement,
  publicShareG2, receiptMessage, receiveShares, sealBallot, castLeaf, signIssuanceLog, signReceipt, toHex,
  tokenHash, tokenPoint, unblindSignature, verifyBundle, verifyCeremonyRecord, verifyDecryptionShare, verifyDleq,
  verifyInclusion, verifyIssuanceLog, verifyPartial, verifyReceipt, verifySealedBallot, verifyToken, CryptoInputError,
  Fr, G2, ELL,
  KIND_IDS, answerSelections, ballotShape, bundleId, parseDefinition, tallyFromCounts,
  type BallotShape, type Bundle, type CanonicalValue, type CeremonyParams, type CeremonyRecord, type CeremonyReveal,
  type CeremonyComplaint, type IssuanceLog, type PublishedShare, type Receipt, type SealedCast,
} from '../../crypto/index.ts';
import { vectorFiles, type Rfc9496 } from '../helpers/vector-files.ts';

const dir = new URL('../../docs/vectors/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const load = <T,>(name: string): T => JSON.parse(text(name)) as T;
const hex = (h: string) => fromHex(h, undefined, 'vector');
const le = (h: string) => hex(h).reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof CryptoInputError) return e.code;
    throw e;
  }
};
const replay = (values: string[]) => {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('sealBallot drew more values than the vector lists');
    return exponentFromHex(values[i++]!, 'draw');
  };
};

const FILES = [
  'group.json', 'shamir.json', 'token.json', 'threshold.json', 'ceremony.json', 'issuance-log.json', 'sealed.json', 'decryption.json',
  'receipt.json', 'cast.json', 'ed25519.json', 'json-text.json', 'canonical.json', 'merkle.json', 'bundle-inputs.json', 'bundle.json',
  'bundles-invalid.json', 'kinds.json'];

describe('docs/vectors', () => {
  it('holds exactly the piaojue/2 files (the v1 commitment vectors are gone)', () => {
    expect(existsSync(new URL('commitment.json', dir))).toBe(false);
    for (const f of FILES) expect(existsSync(new URL(f, dir)), f).toBe(true);
  });
  for (const name of FILES.filter((f) => f !== 'bundle.json'))
    it(`${name} has a description`, () => {
      const v = load<{ description?: unknown }>(name);
      expect(typeof v.description).toBe('string');
      expect((v.description as string).length).toBeGreaterThan(40);
    });
  it('every file is byte for byte what the builders make today (npm run vectors is reproducible)', () => {
    const rfc = JSON.parse(readFileSync(new URL('../vectors/rfc9496.json', import.meta.url), 'utf8')) as Rfc9496;
    const built = vectorFiles(rfc);
    expect(Object.keys(built).sort()).toEqual([...FILES].sort());
    for (const [name, value] of Object.entries(built)) expect(text(name), name).toBe(JSON.stringify(value, null, 2) + '\n');
  }, 120_000);
  it('the token tags are the piaojue/2 ones', () => {
    expect(DST_TOKEN).toBe('PIAOJUE-V2-TOKEN-BLS12381G1_XMD:SHA-256_SSWU_RO_');
    expect(DST_TOKEN_HASH).toBe('PIAOJUE-V2-TOKEN-HASH');
  });
});

describe('group.json (protocol §4.6)', () => {
  type G = {
    multiples: { k: number; encoding: string; decode: string }[];
    invalid: { class: string; encoding: string; code: string }[];
    exponents: { value: string; bytes: string; decode: string; decodeNonzero: string }[];
    hashToExponent: { dst: string; parts: string[]; value: string }[];
    dleq: { dst: string; context: string; x: string; w: string; g1: string; h1: string; g2: string; h2: string; a: string; b: string; challenge: string; response: string; proof: string }[];
  };
  const g = load<G>('group.json');
  it('k·G encodes as listed and decodes (the identity is refused)', () => {
    for (const m of g.multiples) {
      expect(toHex(encodeElement(mulPublic(BASE, BigInt(m.k))))).toBe(m.encoding);
      expect(codeOf(() => decodeElement(hex(m.encoding)))).toBe(m.decode);
    }
  });
  it('every invalid encoding is refused with its code', () => {
    for (const v of g.invalid) expect(codeOf(() => decodeElement(hex(v.encoding))), v.class).toBe(v.code);
  });
  it('exponents are 32-byte little-endian, reduced, nonzero for secrets', () => {
    for (const x of g.exponents) {
      expect(le(x.bytes)).toBe(BigInt(x.value));
      expect(codeOf(() => decodeExponent(hex(x.bytes)))).toBe(x.decode);
      expect(codeOf(() => decodeExponent(hex(x.bytes), 'x', true))).toBe(x.decodeNonzero);
    }
  });
  it('hashToExponent', () => {
    for (const h of g.hashToExponent) expect(toHex(encodeExp(hashToExponent(h.dst, ...h.parts.map(hex))))).toBe(h.value);
  });
  it('DLEQ proofs with a fixed nonce: a, b, the challenge and the response; verifyDleq accepts, and refuses a changed response', () => {
    for (const d of g.dleq) {
      const st = { g1: elementFromHex(d.g1), h1: elementFromHex(d.h1), g2: elementFromHex(d.g2), h2: elementFromHex(d.h2) };
      const x = le(d.x);
      const w = le(d.w);
      expect(st.h1.equals(st.g1.multiply(x)) && st.h2.equals(st.g2.multiply(x))).toBe(true);
      expect(toHex(st.g1.multiply(w).toBytes())).toBe(d.a);
      expect(toHex(st.g2.multiply(w).toBytes())).toBe(d.b);
      const c = hashToExponent(d.dst, hex(d.context), ...[d.g1, d.h1, d.g2, d.h2, d.a, d.b].map(hex));
      expect(toHex(encodeExp(c))).toBe(d.challenge);
      expect(toHex(encodeExp((w + c * x) % ELL))).toBe(d.response);
      expect(d.proof).toBe(d.challenge + d.response);
      const proof = dleqFromHex(d.proof);
      expect(verifyDleq(d.dst, hex(d.context), st, proof)).toBe(true);
      expect(verifyDleq(d.dst, hex(d.context), st, { ...proof, response: (proof.response + 1n) % ELL })).toBe(false);
    }
  });
});

function encodeExp(n: bigint): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
}

describe('shamir.json (protocol §4.7)', () => {
  const s = load<{ orders: Record<string, string>; evaluations: { order: string; coefficients: string[]; x: number; value: string }[]; lagrange: { order: string; indices: number[]; i: number; lambda: string }[] }>('shamir.json');
  it('the orders are r and ℓ', () => {
    expect(BigInt(s.orders.r!)).toBe(Fr.ORDER);
    expect(BigInt(s.orders.ell!)).toBe(ELL);
  });
  it('evalPolynomial and lagrangeAtZero', () => {
    const q = (o: string) => BigInt(s.orders[o]!);
    for (const e of s.evaluations) expect(evalPolynomial(e.coefficients.map(BigInt), BigInt(e.x), q(e.order)).toString()).toBe(e.value);
    for (const l of s.lagrange) expect(lagrangeAtZero(l.indices, l.i, q(l.order)).toString()).toBe(l.lambda);
  });
});

type TokenVector = { note: string; ballotId: string; token: string; r: string; message: string; M: string; blinded: string; blindSignature: string; signature: string; tokenHash: string };
const tokenFile = load<{ dst: Record<string, string>; secretKey: string; publicKey: string; vectors: TokenVector[] }>('token.json');

describe('token.json (protocol §4.3–§4.5)', () => {
  it('names the piaojue/2 tags and a fixed joint key', () => {
    expect(tokenFile.dst).toEqual({ token: DST_TOKEN, tokenHash: DST_TOKEN_HASH });
    expect(toHex(G2.BASE.multiply(decodeScalar(hex(tokenFile.secretKey))).toBytes(true))).toBe(tokenFile.publicKey);
  });
  for (const v of tokenFile.vectors)
    it(`M, B, S′, σ and tokenHash (${v.note.slice(0, 30)}…, ${v.ballotId})`, () => {
      const token = hex(v.token);
      expect(toHex(tokenPoint(v.ballotId, token).toBytes(true))).toBe(v.M);
      const state = blindToken(v.ballotId, { token, r: hex(v.r) });
      expect(toHex(state.blinded)).toBe(v.blinded);
      const S = partialSign(decodeScalar(hex(tokenFile.secretKey)), state.blinded); // S′ = sk·B: one "device" holding the whole key
      expect(toHex(S)).toBe(v.blindSignature);
      expect(toHex(unblindSignature(state, S, hex(tokenFile.publicKey)))).toBe(v.signature);
      expect(verifyToken(hex(tokenFile.publicKey), v.ballotId, token, hex(v.signature))).toBe(true);
      expect(toHex(tokenHash(v.ballotId, token))).toBe(v.tokenHash);
    });
});

describe('threshold.json (protocol §4.7)', () => {
  type T = {
    n: number; t: number; tokenCoefficients: string[]; tokenCommitments: string[]; electionCoefficients: string[]; electionCommitments: string[]; blinded: string;
    devices: { index: number; tokenShare: string; tokenPublicShare: string; partial: string; electionShare: string; electionPublicShare: string }[];
    combinations: { indices: number[]; lagrange: string[]; combined: string; isBlindSignature: boolean }[];
  };
  const f = load<T>('threshold.json');
  it('a_0 is token.json\'s key and B is its first blinded point', () => {
    expect(f.tokenCoefficients[0]).toBe(tokenFile.secretKey);
    expect(f.blinded).toBe(tokenFile.vectors[0]!.blinded);
  });
  it('shares, Feldman public shares and partial signatures', () => {
    const a = f.tokenCoefficients.map((h) => decodeScalar(hex(h)));
    const b = f.electionCoefficients.map(le);
    const C = f.tokenCommitments.map((h) => G2.fromHex(h));
    const E = f.electionCommitments.map((h) => elementFromHex(h));
    a.forEach((x, k) => expect(C[k]!.equals(G2.BASE.multiply(x))).toBe(true));
    for (const d of f.devices) {
      expect(toHex(encodeScalarBE(evalPolynomial(a, BigInt(d.index), Fr.ORDER)))).toBe(d.tokenShare);
      expect(toHex(publicShareG2(C, d.index).toBytes(true))).toBe(d.tokenPublicShare);
      expect(toHex(partialSign(decodeScalar(hex(d.tokenShare)), hex(f.blinded)))).toBe(d.partial);
      expect(verifyPartial(hex(d.tokenPublicShare), hex(f.blinded), hex(d.partial))).toBe(true);
      expect(toHex(encodeExp(evalPolynomial(b, BigInt(d.index), ELL)))).toBe(d.electionShare);
      expect(toHex(publicShareElement(E, d.index).toBytes())).toBe(d.electionPublicShare);
    }
  });
  it('any t partials combine to S′ = sk·B, fewer do not', () => {
    for (const c of f.combinations) {
      const S = combinePartials(c.indices.map((i) => ({ index: i, partial: hex(f.devices[i - 1]!.partial) })));
      expect(toHex(S)).toBe(c.combined);
      expect(c.lagrange).toEqual(c.indices.map((i) => toHex(encodeScalarBE(lagrangeAtZero(c.indices, i, Fr.ORDER)))));
      expect(c.combined === tokenFile.vectors[0]!.blindSignature).toBe(c.isBlindSignature);
      expect(c.isBlindSignature).toBe(c.indices.length >= f.t);
    }
  });
});

function encodeScalarBE(n: bigint): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * (31 - i))) & 0xffn));
}

type CeremonyFile = {
  params: CeremonyParams;
  devices: { index: number; name: string; seed: string; signingKey: string; encryptionKey: string; signingSecret: string; encryptionSecret: string }[];
  dealers: { index: number; tokenCoefficients: string[]; electionCoefficients: string[]; digest: string }[];
  transcript: string; fingerprint: string;
  outputs: { tokenPublicKey: string; electionKey: string; tokenPublicShares: string[]; electionPublicShares: string[] };
  deviceShares: { index: number; tokenShare: string; electionShare: string }[];
  record: CeremonyRecord;
  complaints: { verdict: string; accusedReveal: CeremonyReveal | null; complaint: CeremonyComplaint }[];
};
const ceremony = load<CeremonyFile>('ceremony.json');

describe('ceremony.json (protocol §4.8, §4.9)', () => {
  it('seeded device keys', () => {
    for (const d of ceremony.devices) {
      const { key, secret } = generateDeviceKey(d.index, d.name, hex(d.seed));
      expect(key).toEqual(ceremony.params.devices[d.index - 1]);
      expect(toHex(secret.signingSecret)).toBe(d.signingSecret);
      expect(toHex(encodeExp(secret.encryptionSecret))).toBe(d.encryptionSecret);
    }
  });
  it('rounds 1–3 are reproduced message for message, and every device gets its shares', () => {
    const p = checkCeremonyParams(ceremony.params);
    const secrets = ceremony.devices.map((d) => generateDeviceKey(d.index, d.name, hex(d.seed)).secret);
    const dealt = secrets.map((s, k) => dealerCommit(p, k + 1, s, { seed: hex(ceremony.devices[k]!.seed) }));
    expect(dealt.map((d) => d.message)).toEqual(ceremony.record.commits);
    dealt.forEach((d, k) => {
      expect(d.state.tokenCoefficients.map((x) => toHex(encodeScalarBE(x)))).toEqual(ceremony.dealers[k]!.tokenCoefficients);
      expect(d.state.electionCoefficients.map((x) => toHex(encodeExp(x)))).toEqual(ceremony.dealers[k]!.electionCoefficients);
    });
    const reveals = dealt.map((d) => dealerReveal(p, d.state, ceremony.record.commits));
    expect(reveals).toEqual(ceremony.record.reveals);
    const results = dealt.map((d) => receiveShares(p, d.state, ceremony.record.commits, ceremony.record.reveals));
    results.forEach((r, k) => {
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.ack).toEqual(ceremony.record.acks[k]);
      expect(toHex(encodeScalarBE(r.shares.tokenShare))).toBe(ceremony.deviceShares[k]!.tokenShare);
      expect(toHex(encodeExp(r.shares.electionShare))).toBe(ceremony.deviceShares[k]!.electionShare);
    });
  });
  it('transcript, fingerprint and outputs; the record verifies', () => {
    expect(toHex(ceremonyTranscript(ceremony.params, ceremony.record.commits, ceremony.record.reveals))).toBe(ceremony.transcript);
    expect(ceremonyFingerprint(hex(ceremony.transcript))).toBe(ceremony.fingerprint);
    expect(ceremony.fingerprint).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    const v = verifyCeremonyRecord(ceremony.record);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect({
      tokenPublicKey: toHex(v.tokenPublicKey), electionKey: toHex(v.electionKey),
      tokenPublicShares: v.tokenPublicShares.map(toHex), electionPublicShares: v.electionPublicShares.map(toHex),
    }).toEqual(ceremony.outputs);
    ceremony.deviceShares.forEach((s, k) => {
      expect(toHex(G2.BASE.multiply(decodeScalar(hex(s.tokenShare))).toBytes(true))).toBe(ceremony.outputs.tokenPublicShares[k]);
      expect(toHex(BASE.multiply(le(s.electionShare)).toBytes())).toBe(ceremony.outputs.electionPublicShares[k]);
    });
  });
  it('complaints: a cheating dealer is caught (and receiveShares complains with the same key), a false accusation is exposed', () => {
    for (const c of ceremony.complaints) {
      const reveals = ceremony.record.reveals.map((r) => (c.accusedReveal && r.index === c.accusedReveal.index ? c.accusedReveal : r));
      expect(judgeComplaint(ceremony.params, reveals, c.complaint)).toBe(c.verdict);
      expect(judgeComplaint(ceremony.params, reveals, { ...c.complaint, signature: c.complaint.signature.replace(/^./, (x) => (x === '0' ? '1' : '0')) })).toBe('invalid');
    }
    const cheat = ceremony.complaints.find((c) => c.verdict === 'accused-cheated')!;
    const p = checkCeremonyParams(ceremony.params);
    const d = ceremony.devices[cheat.complaint.from - 1]!;
    const { state } = dealerCommit(p, d.index, generateDeviceKey(d.index, d.name, hex(d.seed)).secret, { seed: hex(d.seed) });
    const reveals = ceremony.record.reveals.map((r) => (r.index === cheat.accusedReveal!.index ? cheat.accusedReveal! : r));
    const r = receiveShares(p, state, ceremony.record.commits, reveals);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.against).toBe(cheat.complaint.against);
    expect(r.complaint?.key).toBe(cheat.complaint.key);
    expect(judgeComplaint(p, reveals, r.complaint!)).toBe('accused-cheated');
  });
});

describe('issuance-log.json (protocol §4.10)', () => {
  const f = load<{ ballotId: string; device: number; signingKey: string; signingSecret: string; cases: { entries: string[]; heads: string[]; log: IssuanceLog }[] }>('issuance-log.json');
  const key = ceremony.params.devices[f.device - 1]!;
  it('is device 1 of ceremony.json', () => expect(key.signingKey).toBe(f.signingKey));
  for (const c of f.cases)
    it(`the head of ${JSON.stringify(c.entries)} and its signature`, () => {
      for (let k = 0; k < c.heads.length; k++) expect(toHex(logHead(f.ballotId, f.device, hex(f.signingKey), c.entries.slice(0, k)))).toBe(c.heads[k]);
      expect(signIssuanceLog(f.ballotId, f.device, hex(f.signingSecret), hex(f.signingKey), c.entries)).toEqual(c.log);
      expect(verifyIssuanceLog(f.ballotId, key, c.log)).toBe(true);
      expect(verifyIssuanceLog('other-ballot', key, c.log)).toBe(false);
    });
});

describe('sealed.json (protocol §5)', () => {
  const f = load<{ electionSecret: string; electionKey: string; cases: { ballotId: string; tokenHash: string; shape: BallotShape; selections: number[][]; random: string[]; sealed: string; ballotHash: string; entries: { alpha: string; beta: string; m: number }[] }[] }>('sealed.json');
  for (const c of f.cases)
    it(`${c.ballotId}: sealBallot with the listed draws gives the listed bytes, which verify`, () => {
      const ctx = { ballotId: c.ballotId, electionKey: hex(f.electionKey), tokenHash: hex(c.tokenHash) };
      expect(toHex(sealBallot(ctx, c.shape, c.selections, { random: replay(c.random) }))).toBe(c.sealed);
      expect(verifySealedBallot(ctx, c.shape, hex(c.sealed))).toBe(true);
      expect(verifySealedBallot({ ...ctx, tokenHash: new Uint8Array(32) }, c.shape, hex(c.sealed))).toBe(false);
      expect(toHex(ballotHash(c.ballotId, hex(c.sealed)))).toBe(c.ballotHash);
      const cts = sealedCiphertexts(parseSealedBallot(c.shape, hex(c.sealed)));
      expect(cts.map((e) => [toHex(e.alpha.toBytes()), toHex(e.beta.toBytes())])).toEqual(c.entries.map((e) => [e.alpha, e.beta]));
    });
});

describe('decryption.json (protocol §9)', () => {
  type Case = { sums: string[]; shares: { index: number; publicShare: string; share: PublishedShare }[]; combinations: { indices: number[]; M: string[]; counts: (number | null)[] }[] };
  const f = load<{ ballotId: string; electionKey: string; electionShares: string[]; cases: Case[] }>('decryption.json');
  for (const c of f.cases)
    it(`factors, proofs and combinations (${c.sums.length} sums)`, () => {
      const ctx = { ballotId: f.ballotId, electionKey: hex(f.electionKey) };
      const sums = c.sums.map((s) => decodeSumCiphertext(hex(s)));
      for (const s of c.shares) {
        const x = le(f.electionShares[s.index - 1]!);
        const made = decryptionShare(ctx, s.index, x, sums);
        expect(made.factors.map((e) => toHex(e.toBytes()))).toEqual(s.share.factors);
        const parsed = parseDecryptionShare(s.share, sums.length);
        expect(verifyDecryptionShare(ctx, elementFromHex(s.publicShare), sums, parsed)).toEqual([]);
        expect(verifyDecryptionShare({ ...ctx, ballotId: 'other' }, elementFromHex(s.publicShare), sums, parsed).length).toBe(sums.some((x) => !x.alpha.equals(RP.ZERO)) ? sums.length : 0);
      }
      for (const k of c.combinations) {
        const shares = k.indices.map((i) => parseDecryptionShare(c.shares.find((s) => s.index === i)!.share, sums.length));
        expect(combineDecryptionShares(sums, shares).map((m) => toHex(m.toBytes()))).toEqual(k.M);
        expect(decryptCounts(sums, shares, 100)).toEqual(k.counts);
      }
    });
});

describe('receipt.json (protocol §6.2)', () => {
  const f = load<{ serverKeySeed: string; serverKey: string; vectors: { message: string; receipt: Receipt }[] }>('receipt.json');
  it('the server key of the seed', () => expect(toHex(generateServerKey(hex(f.serverKeySeed)).publicKey)).toBe(f.serverKey));
  for (const v of f.vectors)
    it(`message and signature of ${v.receipt.tokenHash.slice(0, 12)}…`, () => {
      const { serverKey: _k, signature: _s, ...fields } = v.receipt;
      expect(toHex(receiptMessage(fields))).toBe(v.message);
      expect(signReceipt(hex(f.serverKeySeed), f.serverKey, fields)).toEqual(v.receipt);
      expect(verifyReceipt(v.receipt)).toBe(true);
    });
});

describe('cast.json (protocol §6.1, §6.3)', () => {
  const f = load<{ ballotId: string; castKey: string; casts: { token: string; signature: string; commitment: string; mac: string; leaf: string; leafHash: string }[] }>('cast.json');
  it('the cast MAC, the leaf and its hash', () => {
    for (const c of f.casts) {
      expect(castMac(hex(f.castKey), f.ballotId, hex(c.token), hex(c.signature), hex(c.commitment))).toBe(c.mac);
      expect(toHex(castLeaf(f.ballotId, c))).toBe(c.leaf);
      expect(toHex(leafHash(hex(c.leaf)))).toBe(c.leafHash);
    }
  });
});

describe('ed25519.json (protocol §6.2)', () => {
  const f = load<{ cases: { name: string; publicKey: string; message: string; signature: string; valid: boolean; asDeviceKey: string }[] }>('ed25519.json');
  for (const c of f.cases)
    it(`${c.valid ? 'accepts' : 'refuses'}: ${c.name}`, () => {
      expect(ed25519Verify(hex(c.publicKey), hex(c.message), hex(c.signature))).toBe(c.valid);
      expect(codeOf(() => decodeSigningKey(hex(c.publicKey)))).toBe(c.asDeviceKey);
    });
});

describe('json-text.json (protocol §7.5)', () => {
  const f = load<{ cases: { name: string; text: string; accepted: boolean }[] }>('json-text.json');
  for (const c of f.cases)
    it(`${c.accepted ? 'accepts' : 'refuses'} ${c.name}`, () => {
      let ok = true;
      try {
        parseJsonStrict(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hex(c.text)));
      } catch {
        ok = false;
      }
      expect(ok).toBe(c.accepted);
    });
});

describe('canonical.json (protocol §3.2)', () => {
  const file = load<{ vectors: { value: CanonicalValue; hex: string }[] }>('canonical.json');
  for (const v of file.vectors)
    it(`canonical(${JSON.stringify(v.value).slice(0, 50)})`, () => expect(toHex(canonical(v.value))).toBe(v.hex));
});

describe('merkle.json (protocol §6.1)', () => {
  const file = load<{ leaves: string[]; leafHashes: string[]; trees: { size: number; root: string; proofs: string[][] }[] }>('merkle.json');
  it('recomputes every leaf hash', () => expect(file.leaves.map((l) => toHex(leafHash(hex(l))))).toEqual(file.leafHashes));
  for (const t of file.trees)
    it(`the root and every audit path of the ${t.size}-leaf tree`, () => {
      const hashes = file.leafHashes.slice(0, t.size).map(hex);
      expect(toHex(merkleRoot(hashes))).toBe(t.root);
      t.proofs.forEach((proof, i) => {
        expect(inclusionProof(hashes, i).map(toHex)).toEqual(proof);
        expect(verifyInclusion(hashes[i]!, i, t.size, proof.map(hex), hex(t.root))).toBe(true);
      });
    });
});

describe('bundle.json (protocol §7, §10)', () => {
  type Inputs = {
    serverKeySeed: string; castKey: string;
    casts: { token: string; r: string; blinded: string; partials: { index: number; partial: string }[]; signature: string; selections: number[][]; random: string[]; sealed: string; commitment: string; mac: string }[];
    receipts: Receipt[];
    expected: { ok: boolean; failures: unknown[]; publicKey: string; electionKey: string; serverKey: string; merkleRoot: string; fingerprint: string; tally: unknown };
  };
  const bundle = load<Bundle>('bundle.json');
  const inputs = load<Inputs>('bundle-inputs.json');
  let r: ReturnType<typeof verifyBundle>;
  beforeAll(() => {
    r = verifyBundle(load<unknown>('bundle.json'));
  });

  it('verifies with the expected key, root, fingerprint and tally', () => {
    expect(r.failures).toEqual(inputs.expected.failures);
    expect(r.ok).toBe(inputs.expected.ok);
    expect(r.tally).toEqual(inputs.expected.tally);
    expect(ceremonyFingerprint(hex(r.transcript!))).toBe(inputs.expected.fingerprint);
    expect({ publicKey: bundle.publicKey, electionKey: bundle.electionKey, serverKey: bundle.serverKey, merkleRoot: bundle.merkleRoot })
      .toEqual({ publicKey: inputs.expected.publicKey, electionKey: inputs.expected.electionKey, serverKey: inputs.expected.serverKey, merkleRoot: inputs.expected.merkleRoot });
    expect(bundle.ceremony).toEqual(ceremony.record);
  });

  it('every cast is rebuilt from its inputs: B, the combined partials, σ, the sealed ballot, c and the MAC', () => {
    const pk = hex(bundle.publicKey);
    for (const c of inputs.casts) {
      const state = blindToken(bundle.ballot.id, { token: hex(c.token), r: hex(c.r) });
      expect(toHex(state.blinded)).toBe(c.blinded);
      const S = combinePartials(c.partials.map((p) => ({ index: p.index, partial: hex(p.partial) })));
      expect(toHex(unblindSignature(state, S, pk))).toBe(c.signature);
      const ctx = { ballotId: bundle.ballot.id, electionKey: hex(bundle.electionKey), tokenHash: tokenHash(bundle.ballot.id, hex(c.token)) };
      const shape = { groups: bundle.ballot.items.map(() => ({ size: 3, min: 1, max: 1 })) };
      expect(toHex(sealBallot(ctx, shape, c.selections, { random: replay(c.random) }))).toBe(c.sealed);
      expect(toHex(ballotHash(bundle.ballot.id, hex(c.sealed)))).toBe(c.commitment);
      expect(castMac(hex(inputs.castKey), bundle.ballot.id, hex(c.token), hex(c.signature), hex(c.commitment))).toBe(c.mac);
    }
  });

  it('assembleBundle rebuilds it byte for byte from the casts in issuance order', () => {
    const casts: SealedCast[] = inputs.casts.map((c) => ({ token: c.token, signature: c.signature, sealed: c.sealed, commitment: c.commitment }));
    const rebuilt = assembleBundle(
      { ballot: bundle.ballot, ceremony: bundle.ceremony, publicKey: bundle.publicKey, electionKey: bundle.electionKey, roster: bundle.roster, issuanceLogs: bundle.issuanceLogs, casts, decryption: bundle.decryption },
      hex(inputs.serverKeySeed),
    );
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(bundle));
  });

  it('every receipt is included, with an audit path that verifies', () => {
    for (const rc of inputs.receipts) {
      const check = checkReceipt(bundle, rc);
      expect(check.status).toBe('included');
      if (check.status !== 'included') continue;
      const leaves = bundle.ballots.map((x) => leafHash(castLeaf(bundle.ballot.id, x)));
      expect(verifyInclusion(leaves[check.index]!, check.index, leaves.length, check.proof.map(hex), hex(bundle.merkleRoot))).toBe(true);
    }
  });
});

describe('bundles-invalid.json (protocol §10.1)', () => {
  type V = { name: string; expected: string[]; failures: { code: string; ballot?: number }[]; options: { serverKey?: string }; bundle: unknown };
  const file = load<{ vectors: V[] }>('bundles-invalid.json');
  it('has one tampered bundle per check of CHECKS, in that order', () => {
    expect(file.vectors.map((v) => v.name)).toEqual([...CHECKS]);
  });
  for (const v of file.vectors)
    it(`${v.name}: exactly ${v.failures.map((f) => f.code + (f.ballot === undefined ? '' : `[${f.ballot}]`)).join(', ')}`, () => {
      const res = verifyBundle(v.bundle, v.options);
      expect(res.ok).toBe(false);
      expect(res.failures.map((f) => (f.ballot === undefined ? { code: f.code } : { code: f.code, ballot: f.ballot }))).toEqual(v.failures);
      expect([...new Set(res.failures.map((f) => f.code))]).toEqual(v.expected);
    });
});

describe('kinds.json (protocol §5.1, §7.6, §8, §9.4)', () => {
  type KindCase = {
    note: string; definition: unknown; shape: BallotShape; answers: { answer: number[][]; selections: number[][] }[];
    roster: { memberId: string; present: boolean; issued: number }[]; cast: number; totals: number[]; tally: unknown;
  };
  const v = () => load<{ cases: KindCase[]; roundLink: { ballotId: string; bundleId: string } }>('kinds.json');
  it('covers every kind', () => {
    expect(new Set(v().cases.map((c) => (c.definition as { type: string }).type))).toEqual(new Set(KIND_IDS));
  });
  it('each definition parses to itself; its shape, selection vectors, totals and tally are recomputed exactly', () => {
    for (const c of v().cases) {
      const def = parseDefinition(c.definition);
      expect(def, c.note).toEqual(c.definition);
      expect(ballotShape(def), c.note).toEqual(c.shape);
      const totals = new Array<number>(c.totals.length).fill(0);
      for (const a of c.answers) {
        expect(answerSelections(def, a.answer), c.note).toEqual(a.selections);
        a.selections.flat().forEach((x, k) => (totals[k]! += x));
      }
      expect(totals, c.note).toEqual(c.totals);
      expect(tallyFromCounts(def, c.roster, c.cast, c.totals), c.note).toEqual(c.tally);
    }
  });
  it('the figures the notes state: exactly half fails, a recused item counts against fewer, ranks share ties, flags at the threshold', () => {
    const [decision, plenary, consultation, recommendation, evaluation] = v().cases.map((c) => (c.tally as { items: { entitled: number; outcome: string | null; rank: number | null; flagged: boolean | null; counts: Record<string, number> }[] }).items);
    expect(decision!.map((i) => i.outcome)).toEqual(['failed', 'passed']);
    expect(plenary!.map((i) => i.entitled)).toEqual([7, 6]);
    expect(consultation!.map((i) => i.outcome)).toEqual(['kept', 'dropped']);
    expect(recommendation!.map((i) => i.rank)).toEqual([1, 2, 2, 4, 4]);
    expect(recommendation!.map((i) => i.outcome)).toEqual([null, null, null, null, null]);
    expect(recommendation!.map((i) => i.flagged)).toEqual([true, false, false, false, false]);
    expect(evaluation!.map((i) => i.flagged)).toEqual([false, true]);
  });
  it('roundLink is the bundleId of bundle.json', () => {
    const link = v().roundLink;
    const b = load<Bundle>('bundle.json');
    expect(link).toEqual({ ballotId: b.ballot.id, bundleId: bundleId(b) });
  });
});

describe('docs/protocol.md Appendix A worked example', () => {
  const doc = new URL('../../docs/protocol.md', import.meta.url);
  it('shows the values of the first token vector, its receipt, the ceremony fingerprint and the vector bundle', () => {
    const md = readFileSync(doc, 'utf8');
    const t = tokenFile.vectors[0]!;
    const rc = load<{ serverKey: string; vectors: { receipt: Receipt }[] }>('receipt.json');
    const values = [
      tokenFile.secretKey, tokenFile.publicKey, t.M, t.blinded, t.blindSignature, t.signature, t.tokenHash,
      rc.serverKey, rc.vectors[0]!.receipt.signature, ceremony.fingerprint, ceremony.transcript,
      load<Bundle>('bundle.json').merkleRoot,
    ];
    for (const x of values) expect(md, `protocol.md should show ${x}`).toContain(x);
    expect(md).toContain('# piaojue protocol, version 2 (`piaojue/2`)');
  });
});

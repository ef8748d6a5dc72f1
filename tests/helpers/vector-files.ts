/**
 * @module tests/helpers/vector-files
 * The content of every file in docs/vectors/ (protocol Appendix A), as values: `vectorFiles()`
 * returns { file name → JSON value }. scripts/make-vectors.ts writes them (2-space JSON and a
 * final newline, so a rerun is byte-identical); tests/crypto/vectors.test.ts checks the files on
 * disk are exactly these and recomputes each value with the production functions. Every builder
 * checks what it makes against the protocol's equations before returning it, so a vector can
 * only be written if the implementation agrees with it.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { specMessage, specPacked } from './packing.ts';
import {
  BASE, CryptoInputError, DST_BALLOT_HASH, DST_BALLOT_PACKED_PROOF, DST_BALLOT_PROOF, DST_CAST_MAC, DST_CEREMONY_COMMIT,
  DST_CEREMONY_SIGNATURE, DST_COMPLAINT_PROOF, DST_DECRYPTION_PROOF, DST_FINGERPRINT, DST_ISSUANCE_LOG,
  DST_ISSUANCE_LOG_SIGNATURE, DST_LEAF, DST_RECEIPT, DST_SHARE_KEY, DST_TEST_SEED, DST_TOKEN, DST_TOKEN_HASH,
  DST_TRANSCRIPT, ELL, Fr, G2, PROTOCOL_VERSION, RP,
  ballotHash, canonical, castMac, ceremonyFingerprint, checkShape, combinePartials, decodeElement, decodeExponent,
  decodeSigningKey, ed25519Sign, ed25519Verify, encodeExponent, encodeScalar, evalPolynomial, exponentToHex, fields,
  fromHex, generateServerKey, hashToExponent, inclusionProof, judgeComplaint, lagrangeAtZero, leafHash, logHead,
  merkleRoot, message, parseJsonStrict, parseSealedBallot, sealedCiphertexts, partialSign, publicShareElement, publicShareG2,
  receiptMessage, sealBallot, sealedBallotBytes, castLeaf, signIssuanceLog, signReceipt, toHex, u32be, utf8,
  verifyCeremonyRecord, verifyDleq, KINDS, SATISFACTION_GRADES, answerSelections, ballotShape, bundleId, parseDefinition, tallyFromCounts,
  type BallotDefinition, type BallotShape, type CanonicalValue, type Element, type Tally,
} from '../../crypto/index.ts';
import {
  CAST_CHOICES, DERIVATION, GENERATOR, LABEL, bytes32, cheatingReveal, complaintWithNonce, dleqHex, exponent, negativeVectors, proveDleqWithNonce,
  scalar, seededCeremony, sharesValid, stream, sumsOf, tokenHashV2, tokenMessage, tokenPointV2, tokenValidV2, vectorElection,
  type SeededCeremony, type VectorElection,
} from './vectors.ts';

const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const leBytes = (n: bigint, len = 32) => Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const hexOf = (n: bigint) => toHex(encodeScalar(n));
const fill = (b: number, n = 32) => new Uint8Array(n).fill(b);
const P25519 = 2n ** 255n - 19n;

function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`vector check failed: ${what}`);
}

/** The CryptoInputError code of `f`, or 'ok'. */
function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof CryptoInputError) return e.code;
    throw e;
  }
}

// ── RFC 9496 data (tests/vectors/rfc9496.json) ──────────────────────────────────────────────

/** The RFC 9496 vectors, as committed in tests/vectors/rfc9496.json. */
export type Rfc9496 = {
  multiples: string[];
  badEncodings: { reason: string; encodings: string[] }[];
  uniformBytes: { input: string; output: string }[];
};

// ── group.json ──────────────────────────────────────────────────────────────────────────────

function groupFile(rfc: Rfc9496) {
  const classCode: Record<string, string> = {
    'non-canonical field encoding': 'POINT_NOT_CANONICAL',
    'negative field element': 'POINT_NOT_CANONICAL',
    'non-square x²': 'POINT_NOT_ON_CURVE',
    'negative xy': 'POINT_NOT_ON_CURVE',
    's = −1 (y = 0)': 'POINT_NOT_ON_CURVE',
  };
  const multiples = rfc.multiples.map((encoding, k) => {
    assert(toHex((k === 0 ? RP.ZERO : BASE.multiply(BigInt(k))).toBytes()) === encoding, `${k}·G`);
    const code = codeOf(() => decodeElement(fromHex(encoding, 32, 'e')));
    assert(code === (k === 0 ? 'POINT_IDENTITY' : 'ok'), `decode ${k}·G`);
    return { k, encoding, decode: code };
  });
  const invalid = [
    { class: 'wrong length (31 bytes)', encoding: rfc.multiples[1]!.slice(0, 62), code: 'BAD_LENGTH' },
    { class: 'wrong length (33 bytes)', encoding: rfc.multiples[1]! + '00', code: 'BAD_LENGTH' },
    { class: 'identity (all zero)', encoding: '00'.repeat(32), code: 'POINT_IDENTITY' },
    ...rfc.badEncodings.flatMap((c) => c.encodings.map((encoding) => ({ class: c.reason, encoding, code: classCode[c.reason]! }))),
  ];
  for (const v of invalid) assert(codeOf(() => decodeElement(fromHex(v.encoding, undefined, 'e'))) === v.code, `decode ${v.class} ${v.encoding}`);
  const exps = [
    { value: 0n, note: 'zero: an exponent, not a secret key' },
    { value: 1n, note: 'one' },
    { value: 2n ** 64n + 5n, note: 'little-endian byte order' },
    { value: ELL - 1n, note: 'ℓ − 1, the largest' },
    { value: ELL, note: 'ℓ: not reduced' },
    { value: ELL + 1n, note: 'ℓ + 1: not reduced' },
    { value: 2n ** 256n - 1n, note: 'all ones' },
  ].map(({ value, note }) => {
    const bytes = toHex(leBytes(value));
    const decode = codeOf(() => decodeExponent(fromHex(bytes, 32, 'x')));
    const decodeNonzero = codeOf(() => decodeExponent(fromHex(bytes, 32, 'x'), 'x', true));
    return { note, value: value.toString(), bytes, decode, decodeNonzero };
  });
  const h2e = [
    { dst: 'PIAOJUE-V2-TEST', parts: [] as string[] },
    { dst: 'PIAOJUE-V2-TEST', parts: [toHex(utf8('b1')), '00'] },
    { dst: DST_BALLOT_PROOF, parts: [toHex(fill(7, 32)), toHex(BASE.toBytes())] },
  ].map(({ dst, parts }) => {
    const bytes = parts.map((p) => fromHex(p, undefined, 'part'));
    const msg = message(dst, ...bytes);
    const value = hashToExponent(dst, ...bytes);
    assert(value === le(sha512(msg)) % ELL, 'hashToExponent');
    return { dst, parts, message: toHex(msg), sha512: toHex(sha512(msg)), value: exponentToHex(value) };
  });
  const dleqCase = (note: string, dst: string, context: Uint8Array, x: bigint, g2: Element, w: bigint) => {
    const st = { g1: BASE, h1: BASE.multiply(x), g2, h2: g2.multiply(x) };
    const p = proveDleqWithNonce(dst, context, st, x, w);
    assert(verifyDleq(dst, context, st, p), 'dleq verifies');
    return {
      note, dst, context: toHex(context), x: exponentToHex(x), w: exponentToHex(w),
      g1: toHex(st.g1.toBytes()), h1: toHex(st.h1.toBytes()), g2: toHex(st.g2.toBytes()), h2: toHex(st.h2.toBytes()),
      a: toHex(p.a.toBytes()), b: toHex(p.b.toBytes()), challenge: exponentToHex(p.challenge), response: exponentToHex(p.response), proof: dleqHex(p),
    };
  };
  const dleq = [
    dleqCase('decryption-share form: context = fields(utf8("b1"), enc(Y), u32be(1), u32be(0))', DST_DECRYPTION_PROOF,
      fields(utf8('b1'), BASE.multiply(exponent('group/Y')).toBytes(), u32be(1), u32be(0)), exponent('group/dleq-x-1'), BASE.multiply(exponent('group/alpha')), exponent('group/dleq-w-1')),
    dleqCase('complaint form: context = fields(utf8("c1"), u32be(2), u32be(1))', DST_COMPLAINT_PROOF,
      fields(utf8('c1'), u32be(2), u32be(1)), exponent('group/dleq-x-2'), BASE.multiply(exponent('group/E2')), exponent('group/dleq-w-2')),
  ];
  return {
    description:
      'ristretto255 at the protocol boundary (protocol §4.6). multiples: k·G for k = 0…15 (RFC 9496 §A.1) and what decodeElement does with each ' +
      '(the identity is refused). invalid: every class of refused encoding with its code — RFC 9496 §A.2 (all of its bad encodings) plus the ' +
      'wrong lengths and the all-zero identity. exponents: 32-byte little-endian, decodeExponent in [0, ℓ) and, for secrets, [1, ℓ). ' +
      'hashToExponent(dst, parts) = LE(SHA-512(message(dst, parts…))) mod ℓ. dleq: Chaum–Pedersen proofs with the nonce w fixed: ' +
      'a = w·g1, b = w·g2, c = hashToExponent(dst, context, g1, h1, g2, h2, a, b), s = w + c·x mod ℓ, proof = le32(c) ‖ le32(s). ' +
      `Secrets: ${DERIVATION}.`,
    generator: GENERATOR,
    order: ELL.toString(),
    base: toHex(BASE.toBytes()),
    multiples,
    invalid,
    exponents: exps,
    hashToExponent: h2e,
    dleq,
  };
}

// ── shamir.json ─────────────────────────────────────────────────────────────────────────────

function shamirFile() {
  const orders = { r: Fr.ORDER, ell: ELL } as const;
  const evaluations: { order: string; coefficients: string[]; x: number; value: string }[] = [];
  const lagrange: { order: string; indices: number[]; i: number; lambda: string }[] = [];
  for (const [name, q] of Object.entries(orders)) {
    const coeffs = [0, 1, 2].map((k) => (le(sha512(utf8(`${LABEL}/shamir/${name}/a${k}`))) % q));
    for (const x of [0, 1, 2, 3, 5, 15]) evaluations.push({ order: name, coefficients: coeffs.map(String), x, value: evalPolynomial(coeffs, BigInt(x), q).toString() });
    for (const indices of [[1, 2], [1, 3], [2, 3], [1, 2, 3], [2, 5, 15]]) {
      let sum = 0n;
      for (const i of indices) {
        const l = lagrangeAtZero(indices, i, q);
        lagrange.push({ order: name, indices, i, lambda: l.toString() });
        sum = (sum + l * evalPolynomial(coeffs.slice(0, indices.length), BigInt(i), q)) % q;
      }
      assert(sum === coeffs[0], 'Lagrange interpolation at 0');
    }
  }
  return {
    description:
      'Shamir arithmetic (protocol §4.7), integers in decimal. evaluations: f(x) = Σ coefficients[k]·x^k mod the order (r of BLS12-381 or ℓ of ' +
      'ristretto255). lagrange: λ_i = Π_{j∈S, j≠i} j/(j − i) mod the order for the index set S = indices; Σ_{i∈S} λ_i·f(i) = f(0) for every f of ' +
      'degree < |S|. Coefficients: LE(SHA-512(utf8("' + LABEL + '/shamir/<order>/a<k>"))) mod the order.',
    generator: GENERATOR,
    orders: { r: Fr.ORDER.toString(), ell: ELL.toString() },
    evaluations,
    lagrange,
  };
}

// ── token.json and threshold.json ───────────────────────────────────────────────────────────

const TOKEN_SK = () => scalar('token/secret-key');

function tokenFile() {
  const sk = TOKEN_SK();
  const pk = G2.BASE.multiply(sk).toBytes(true);
  const cases = [
    { note: 'worked example of docs/protocol.md Appendix A', ballotId: 'b1', token: fill(2), r: 3n },
    ...[
      { ballotId: BALLOT_IDS[0]!, n: 1 },
      { ballotId: BALLOT_IDS[0]!, n: 2 },
      { ballotId: 'B', n: 3 },
    ].map(({ ballotId, n }) => ({ note: `token = bytes32("token/token-${n}"), r = scalar("token/r-${n}")`, ballotId, token: bytes32(`token/token-${n}`), r: scalar(`token/r-${n}`) })),
  ];
  return {
    description:
      'Blind BLS tokens (protocol §4.3–§4.5) under a FIXED joint key: secretKey = scalar("token/secret-key") stands for the key that, in a real ballot, ' +
      'exists only as the scrutineers\' shares (threshold.json splits it). message = field(utf8(ballotId)) ‖ field(token); M = hash_to_curve_G1(message) ' +
      'with suite BLS12381G1_XMD:SHA-256_SSWU_RO_ and dst.token as DST; blinded B = r·M; blindSignature S′ = sk·B (what t partial signatures ' +
      'combine to); signature σ = r⁻¹·S′ = sk·M; tokenHash = SHA-256(message(dst.tokenHash, utf8(ballotId), token)). Scalars 32 bytes big-endian, ' +
      `points compressed, all hex lowercase. Secrets: ${DERIVATION}.`,
    generator: GENERATOR,
    dst: { token: DST_TOKEN, tokenHash: DST_TOKEN_HASH },
    secretKey: hexOf(sk),
    publicKey: toHex(pk),
    vectors: cases.map(({ note, ballotId, token, r }) => {
      const M = tokenPointV2(ballotId, token);
      const B = M.multiply(r);
      const S = B.multiply(sk);
      const sigma = S.multiply(Fr.inv(r));
      assert(sigma.equals(M.multiply(sk)), 'σ = sk·M');
      assert(tokenValidV2(pk, ballotId, token, sigma.toBytes(true)), 'σ verifies');
      return {
        note, ballotId, token: toHex(token), r: hexOf(r), message: toHex(tokenMessage(ballotId, token)),
        M: toHex(M.toBytes(true)), blinded: toHex(B.toBytes(true)), blindSignature: toHex(S.toBytes(true)), signature: toHex(sigma.toBytes(true)),
        tokenHash: toHex(tokenHashV2(ballotId, token)),
      };
    }),
  };
}

const BALLOT_IDS = ['ballot-2026-03-a'];

function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let i = 1; i <= n; i++) for (const rest of subsets(n, k - 1)) if (rest.every((x) => x > i)) out.push([i, ...rest]);
  return out;
}

function thresholdFile(token: ReturnType<typeof tokenFile>) {
  const n = 4;
  const t = 3;
  const a = [TOKEN_SK(), scalar('threshold/a1'), scalar('threshold/a2')];
  const b = [exponent('threshold/b0'), exponent('threshold/b1'), exponent('threshold/b2')];
  const C = a.map((x) => G2.BASE.multiply(x));
  const E = b.map((x) => BASE.multiply(x));
  const v = token.vectors[0]!;
  const B = fromHex(v.blinded, 48, 'B');
  const devices = Array.from({ length: n }, (_, k) => {
    const j = k + 1;
    const s = evalPolynomial(a, BigInt(j), Fr.ORDER);
    const x = evalPolynomial(b, BigInt(j), ELL);
    const pkj = publicShareG2(C, j);
    const Xj = publicShareElement(E, j);
    assert(pkj.equals(G2.BASE.multiply(s)) && Xj.equals(BASE.multiply(x)), 'Feldman');
    return { index: j, tokenShare: hexOf(s), tokenPublicShare: toHex(pkj.toBytes(true)), partial: toHex(partialSign(s, B)), electionShare: exponentToHex(x), electionPublicShare: toHex(Xj.toBytes()) };
  });
  const combine = (indices: number[]) => {
    const S = combinePartials(indices.map((j) => ({ index: j, partial: fromHex(devices[j - 1]!.partial, 48, 'p') })));
    return {
      indices,
      lagrange: indices.map((i) => hexOf(lagrangeAtZero(indices, i, Fr.ORDER))),
      combined: toHex(S),
      isBlindSignature: toHex(S) === v.blindSignature,
    };
  };
  const combinations = [...subsets(n, t).map(combine), combine([1, 2]), combine([4, 2, 3])];
  assert(combinations.filter((c) => c.indices.length === t).every((c) => c.isBlindSignature), 'any t partials combine to sk·B');
  assert(!combinations.find((c) => c.indices.length === 2)!.isBlindSignature, 'fewer than t do not');
  return {
    description:
      'Threshold issuance (protocol §4.7) with t = 3 of n = 4 and fixed polynomials. f(x) = Σ a_k x^k over r with a_0 = token.json secretKey; ' +
      'device j holds s_j = f(j), publishes pk_j = s_j·g2 = Σ_k j^k·C_k with C_k = a_k·g2. partial S′_j = s_j·B for B = token.json vectors[0].blinded. ' +
      'combined = Σ_{j∈S} λ_j·S′_j with λ_j = Π_{m∈S, m≠j} m/(m − j) mod r (32-byte big-endian); any t partials give S′ = token.json ' +
      'vectors[0].blindSignature, fewer do not. The list order of a set does not matter ([4, 2, 3]). The election key is shared the same way over ℓ: ' +
      'g(x) = Σ b_k x^k, x_j = g(j) (little-endian), X_j = x_j·G = Σ_k j^k·E_k. a_1, a_2 = scalar("threshold/a1"), scalar("threshold/a2"); ' +
      `b_k = exponent("threshold/b<k>"). ${DERIVATION}.`,
    generator: GENERATOR,
    n, t,
    tokenCoefficients: a.map(hexOf),
    tokenCommitments: C.map((c) => toHex(c.toBytes(true))),
    electionCoefficients: b.map(exponentToHex),
    electionCommitments: E.map((e) => toHex(e.toBytes())),
    blinded: v.blinded,
    devices,
    combinations,
  };
}

// ── ceremony.json ─────────────────────────────────────────────────────────────────────────

function ceremonyFile(c: SeededCeremony) {
  const p = c.params;
  const verdict = verifyCeremonyRecord(c.record);
  assert(verdict.ok, 'the ceremony record verifies');
  const devices = p.devices.map((d, k) => {
    const seed = c.seeds[k]!;
    const okm = hkdf(sha256, seed, undefined, message(DST_TEST_SEED, utf8('device'), u32be(d.index)), 96);
    const s = c.secrets[k]!;
    assert(toHex(okm.subarray(0, 32)) === toHex(s.signingSecret) && s.encryptionSecret === (le(okm.subarray(32)) % (ELL - 1n)) + 1n, 'device key derivation');
    return { ...d, seed: toHex(seed), deviceOkm: toHex(okm), signingSecret: toHex(s.signingSecret), encryptionSecret: exponentToHex(s.encryptionSecret) };
  });
  const dealers = c.dealers.map((st, k) => {
    const i = k + 1;
    const okm = hkdf(sha256, c.seeds[k]!, undefined, message(DST_TEST_SEED, utf8('polynomial'), utf8(p.ceremonyId), u32be(i), u32be(0)), 112 * p.t);
    const commit = c.record.commits[k]!;
    const reveal = c.record.reveals[k]!;
    const digestMessage = message(DST_CEREMONY_COMMIT, utf8(p.ceremonyId), u32be(i), ...reveal.tokenCommitments.map((x) => fromHex(x, 96, 'F')), ...reveal.electionCommitments.map((x) => fromHex(x, 32, 'E')));
    assert(toHex(sha256(digestMessage)) === commit.digest, 'digest');
    const commitMessage = message(DST_CEREMONY_SIGNATURE, utf8('commit'), utf8(p.ceremonyId), u32be(i), fromHex(commit.digest, 32, 'd'));
    assert(toHex(ed25519Sign(c.secrets[k]!.signingSecret, commitMessage)) === commit.signature, 'commit signature');
    const shares = reveal.shares.map((sh) => {
      const K = RP.fromHex(p.devices[sh.to - 1]!.encryptionKey).multiply(c.secrets[k]!.encryptionSecret);
      const keyStream = hkdf(sha256, K.toBytes(), undefined, message(DST_SHARE_KEY, utf8(p.ceremonyId), u32be(i), u32be(sh.to)), 96);
      const plaintext = new Uint8Array([...encodeScalar(evalPolynomial(st.tokenCoefficients, BigInt(sh.to), Fr.ORDER)), ...encodeExponent(evalPolynomial(st.electionCoefficients, BigInt(sh.to), ELL))]);
      const body = plaintext.map((x, m) => x ^ keyStream[m]!);
      const ct = toHex(new Uint8Array([...body, ...hmac(sha256, keyStream.subarray(64), body)]));
      assert(ct === sh.ciphertext, 'share ciphertext');
      return { to: sh.to, K: toHex(K.toBytes()), okm: toHex(keyStream), plaintext: toHex(plaintext), ciphertext: sh.ciphertext };
    });
    const sharesHash = sha256(new Uint8Array(reveal.shares.flatMap((sh) => [...fromHex(sh.ciphertext, 96, 'ct')])));
    const revealMessage = message(DST_CEREMONY_SIGNATURE, utf8('reveal'), utf8(p.ceremonyId), u32be(i), fromHex(commit.digest, 32, 'd'), sharesHash);
    assert(toHex(ed25519Sign(c.secrets[k]!.signingSecret, revealMessage)) === reveal.signature, 'reveal signature');
    return {
      index: i, polynomialOkm: toHex(okm), attempt: 0,
      tokenCoefficients: st.tokenCoefficients.map(hexOf), electionCoefficients: st.electionCoefficients.map(exponentToHex),
      tokenCommitments: reveal.tokenCommitments, electionCommitments: reveal.electionCommitments,
      digestMessage: toHex(digestMessage), digest: commit.digest, commitMessage: toHex(commitMessage),
      shares, sharesHash: toHex(sharesHash), revealMessage: toHex(revealMessage),
    };
  });
  const parts: Uint8Array[] = [utf8(p.ceremonyId), u32be(p.n), u32be(p.t)];
  for (const d of p.devices) parts.push(u32be(d.index), utf8(d.name), fromHex(d.signingKey, 32, 'k'), fromHex(d.encryptionKey, 32, 'k'));
  for (const cm of c.record.commits) parts.push(fromHex(cm.digest, 32, 'd'));
  for (const r of c.record.reveals) parts.push(...r.tokenCommitments.map((x) => fromHex(x, 96, 'F')), ...r.electionCommitments.map((x) => fromHex(x, 32, 'E')));
  const transcriptMessage = message(DST_TRANSCRIPT, ...parts);
  assert(toHex(sha256(transcriptMessage)) === toHex(c.transcript) && verdict.ok && toHex(verdict.transcript) === toHex(c.transcript), 'transcript');
  const fpHash = sha256(message(DST_FINGERPRINT, c.transcript));
  const fingerprint = ceremonyFingerprint(c.transcript);
  const acks = c.record.acks.map((a, k) => {
    const m = message(DST_CEREMONY_SIGNATURE, utf8('ack'), utf8(p.ceremonyId), u32be(a.index), c.transcript);
    assert(toHex(ed25519Sign(c.secrets[k]!.signingSecret, m)) === a.signature, 'ack signature');
    return { index: a.index, ackMessage: toHex(m) };
  });
  // Complaints: a dealer who cheats after committing (upheld) and a false accusation (exposed).
  const bad = cheatingReveal(c, 2);
  const reveals = c.record.reveals.map((r) => (r.index === 2 ? bad : r));
  const complaints = [
    { note: 'dealer 2 reveals shares of f_2 + 1 under its committed F_2k: device 1 complains, the share to device 1 fails the Feldman check', reveal: bad, ...complaintWithNonce(c, 1, 2, exponent('ceremony/complaint-w-1-2')), verdict: 'accused-cheated', revealsUsed: reveals },
    { note: 'device 1 accuses honest dealer 3: its share decrypts and passes the Feldman check', reveal: null, ...complaintWithNonce(c, 1, 3, exponent('ceremony/complaint-w-1-3')), verdict: 'accuser-lied', revealsUsed: c.record.reveals },
  ].map((x) => {
    assert(judgeComplaint(p, x.revealsUsed, x.complaint) === x.verdict, `complaint ${x.verdict}`);
    return {
      note: x.note, verdict: x.verdict, accusedReveal: x.reveal, context: toHex(x.context),
      nonce: exponentToHex(exponent(`ceremony/complaint-w-${x.complaint.from}-${x.complaint.against}`)),
      complaintMessage: toHex(message(DST_CEREMONY_SIGNATURE, utf8('complaint'), utf8(p.ceremonyId), u32be(x.complaint.from), u32be(x.complaint.against), fromHex(x.complaint.key, 32, 'K'), fromHex(x.complaint.proof, 64, 'proof'))),
      complaint: x.complaint,
    };
  });
  return {
    description:
      'The scrutineers\' key ceremony (protocol §4.8, §4.9) for n = 3, t = 2, ceremonyId "' + p.ceremonyId + '", device names with non-ASCII text, every ' +
      'secret from seed_i = bytes32("ceremony/seed-i"). Device keys: okm = HKDF-SHA256(IKM = seed, no salt, info = message(DST_TEST_SEED, utf8("device"), ' +
      'u32be(i)), 96); signingSecret = okm[0..32) (RFC 8032 secret), encryptionSecret d = (LE(okm[32..96)) mod (ℓ−1)) + 1. Polynomials: okm = ' +
      'HKDF-SHA256(seed, no salt, message(DST_TEST_SEED, utf8("polynomial"), utf8(ceremonyId), u32be(i), u32be(attempt)), 112·t); a_k = ' +
      '(BE(okm[48k..48k+48)) mod (r−1)) + 1, b_k = (LE(okm[48t+64k..+64)) mod (ℓ−1)) + 1. Every intermediate is listed: the digest input and digest, ' +
      'the signed messages, each encrypted share (K = d_i·E_j, okm, plaintext = be32(f_i(j)) ‖ le32(g_i(j)), ciphertext = (plaintext ⊕ okm[0..64)) ‖ ' +
      'HMAC-SHA256(okm[64..96), that)), the transcript input and hash, the fingerprint, the outputs and every device\'s shares. record is the exact ' +
      'public record that goes into a bundle. complaints use fixed DLEQ nonces and give the verdicts judgeComplaint must reach.',
    generator: GENERATOR,
    dst: { commit: DST_CEREMONY_COMMIT, signature: DST_CEREMONY_SIGNATURE, shareKey: DST_SHARE_KEY, complaint: DST_COMPLAINT_PROOF, transcript: DST_TRANSCRIPT, fingerprint: DST_FINGERPRINT, testSeed: DST_TEST_SEED },
    params: p,
    devices,
    dealers,
    transcriptMessage: toHex(transcriptMessage),
    transcript: toHex(c.transcript),
    fingerprintHash: toHex(fpHash),
    fingerprint,
    acks,
    outputs: verdict.ok ? {
      tokenPublicKey: toHex(verdict.tokenPublicKey), electionKey: toHex(verdict.electionKey),
      tokenPublicShares: verdict.tokenPublicShares.map(toHex), electionPublicShares: verdict.electionPublicShares.map(toHex),
    } : null,
    deviceShares: c.shares.map((s, k) => ({ index: k + 1, tokenShare: hexOf(s.token), electionShare: exponentToHex(s.election) })),
    record: c.record,
    complaints,
  };
}

// ── issuance-log.json ───────────────────────────────────────────────────────────────────────

function issuanceLogFile(c: SeededCeremony) {
  const device = c.params.devices[0]!;
  const secret = c.secrets[0]!.signingSecret;
  const key = fromHex(device.signingKey, 32, 'k');
  const ballotId = BALLOT_IDS[0]!;
  const cases = [[], ['u1'], ['u1', 'u2', 'u3'], ['u1', 'u2', 'u1']].map((entries) => {
    const heads = [sha256(message(DST_ISSUANCE_LOG, utf8(ballotId), u32be(device.index), key))];
    for (const id of entries) heads.push(sha256(message(DST_ISSUANCE_LOG, heads[heads.length - 1]!, utf8(id))));
    const head = heads[heads.length - 1]!;
    assert(toHex(logHead(ballotId, device.index, key, entries)) === toHex(head), 'log head');
    const headMessage = message(DST_ISSUANCE_LOG_SIGNATURE, utf8(ballotId), u32be(device.index), u32be(entries.length), head);
    const log = signIssuanceLog(ballotId, device.index, secret, key, entries);
    assert(toHex(ed25519Sign(secret, headMessage)) === log.signature, 'log signature');
    return { entries, heads: heads.map(toHex), headMessage: toHex(headMessage), log };
  });
  return {
    description:
      'A scrutineer device\'s signed issuance log (protocol §4.10), device 1 of ceremony.json. h_0 = SHA-256(message(DST_ISSUANCE_LOG, utf8(ballotId), ' +
      'u32be(device), signingKey)); h_k = SHA-256(message(DST_ISSUANCE_LOG, h_(k−1), utf8(memberId_k))); the device signs headMessage = ' +
      'message(DST_ISSUANCE_LOG_SIGNATURE, utf8(ballotId), u32be(device), u32be(count), h_count) with Ed25519 (deterministic). log is the JSON that ' +
      'goes into a bundle. The count-0 log is the attendance confirmation; a repeated member id is an approved re-issue.',
    generator: GENERATOR,
    dst: { chain: DST_ISSUANCE_LOG, signature: DST_ISSUANCE_LOG_SIGNATURE },
    ballotId,
    device: device.index,
    signingKey: device.signingKey,
    signingSecret: toHex(secret),
    cases,
  };
}

// ── sealed.json ─────────────────────────────────────────────────────────────────────────────

function sealedFile() {
  const y = exponent('sealed/election-secret');
  const Y = BASE.multiply(y).toBytes();
  const cases = [
    { note: 'one decision item: agree', ballotId: 'b1', tokenHash: bytes32('sealed/token-hash-1'), shape: { groups: [{ size: 3, min: 1, max: 1 }] }, selections: [[1, 0, 0]] },
    { note: 'two items: abstain, disagree', ballotId: BALLOT_IDS[0]!, tokenHash: bytes32('sealed/token-hash-2'), shape: { groups: [{ size: 3, min: 1, max: 1 }, { size: 3, min: 1, max: 1 }] }, selections: [[0, 0, 1], [0, 1, 0]] },
    { note: 'a group of 4 with 0…2 selected (a recommendation-like shape): two selected', ballotId: 'b3', tokenHash: bytes32('sealed/token-hash-3'), shape: { groups: [{ size: 4, min: 0, max: 2 }] }, selections: [[0, 1, 0, 1]] },
    { note: 'a group of 2 with 0…2 selected: none selected', ballotId: 'b4', tokenHash: bytes32('sealed/token-hash-4'), shape: { groups: [{ size: 2, min: 0, max: 2 }] }, selections: [[0, 0]] },
    { note: 'packed groups (protocol §5.1): an approval item (D = 2) disagree, one of two or none (D = 2) left blank, one of two (D = 1) the second, and a decision item under recusal (entry-wise, min 0) left blank', ballotId: 'b5', tokenHash: bytes32('sealed/token-hash-5'), shape: { groups: [{ size: 3, min: 1, max: 1 }, { size: 2, min: 0, max: 1 }, { size: 2, min: 1, max: 1 }, { size: 3, min: 0, max: 1 }] }, selections: [[0, 1, 0], [0, 0], [0, 1], [0, 0, 0]] },
  ].map((x, n) => {
    const shape: BallotShape = checkShape(x.shape);
    const src = stream(`sealed/random-${n + 1}`);
    const sealed = sealBallot({ ballotId: x.ballotId, electionKey: Y, tokenHash: x.tokenHash }, shape, x.selections, { random: src.random });
    assert(sealed.length === sealedBallotBytes(shape), 'sealed length');
    const parsed = parseSealedBallot(shape, sealed);
    // Each ciphertext in sum order with its plaintext: an entry's 0/1, or a packed group's message (protocol §5.1).
    const cts = sealedCiphertexts(parsed);
    let k = 0;
    const entries = shape.groups.flatMap((g, gi) => {
      const sel = x.selections[gi]!;
      const plain = specPacked(g)
        ? [{ group: gi, entry: null as number | null, m: specMessage(g, sel) }]
        : sel.map((m, ei) => ({ group: gi, entry: ei as number | null, m }));
      return plain.map((p) => {
        const ct = cts[k++]!;
        assert(ct.beta.equals(ct.alpha.multiply(y).add(p.m === 0 ? RP.ZERO : BASE.multiply(BigInt(p.m)))), 'β = m·G + y·α');
        return { ...p, alpha: toHex(ct.alpha.toBytes()), beta: toHex(ct.beta.toBytes()) };
      });
    });
    return {
      note: x.note, ballotId: x.ballotId, tokenHash: toHex(x.tokenHash), shape, selections: x.selections,
      random: src.drawn.map(exponentToHex), bytes: sealed.length, sealed: toHex(sealed), ballotHash: toHex(ballotHash(x.ballotId, sealed)), entries,
    };
  });
  return {
    description:
      'Sealed ballots (protocol §5) under the election key Y = y·G, y = exponent("sealed/election-secret"), with sealBallot\'s random source fixed: ' +
      'random lists every value it drew, in draw order (protocol §5.3 gives the order), as 32-byte little-endian exponents; stream("sealed/random-n") ' +
      'made them. sealed is the wire form (protocol §5.2), ballotHash = SHA-256(message(DST_BALLOT_HASH, utf8(ballotId), sealed)). entries lists each ' +
      '(α, β) in sum order with its plaintext m (β = m·G + y·α): an entry\'s 0/1, or for a packed group (entry null) its message 0, 1 or B = 2^17; the proofs are in sealed. A re-implementation with the same draws must produce the same bytes, ' +
      `and its verifier must accept them. ${DERIVATION}.`,
    generator: GENERATOR,
    dst: { proof: DST_BALLOT_PROOF, packedProof: DST_BALLOT_PACKED_PROOF, hash: DST_BALLOT_HASH },
    electionSecret: exponentToHex(y),
    electionKey: toHex(Y),
    cases,
  };
}

// ── decryption.json ─────────────────────────────────────────────────────────────────────────

function decryptionFile() {
  const t = 2;
  const b = [exponent('decryption/b0'), exponent('decryption/b1')];
  const Y = BASE.multiply(b[0]!);
  const ballotId = 'b1';
  const x = [1, 2, 3].map((j) => evalPolynomial(b, BigInt(j), ELL));
  const messages = [[1, 0, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]];
  const ciphertexts = messages.map((ms, n) => ms.map((m, k) => {
    const r = exponent(`decryption/r-${n}-${k}`);
    return { m, r: exponentToHex(r), alpha: BASE.multiply(r), beta: Y.multiply(r).add(m === 1 ? BASE : RP.ZERO) };
  }));
  const sums = [0, 1, 2].map((k) => ({ alpha: ciphertexts.reduce((s, c) => s.add(c[k]!.alpha), RP.ZERO), beta: ciphertexts.reduce((s, c) => s.add(c[k]!.beta), RP.ZERO) }));
  const empty = [0, 1, 2].map(() => ({ alpha: RP.ZERO, beta: RP.ZERO }));
  const shareCase = (note: string, sumsUsed: typeof sums) => {
    const shares = [1, 2, 3].map((j) => {
      const X = BASE.multiply(x[j - 1]!);
      const factors = sumsUsed.map((s) => (s.alpha.equals(RP.ZERO) ? RP.ZERO : s.alpha.multiply(x[j - 1]!)));
      const nonces = sumsUsed.map((_, k) => exponent(`decryption/w-${note}-${j}-${k}`));
      const proofs = sumsUsed.map((s, k) => {
        if (s.alpha.equals(RP.ZERO)) return '00'.repeat(64);
        const ctx = fields(utf8(ballotId), Y.toBytes(), u32be(j), u32be(k));
        return dleqHex(proveDleqWithNonce(DST_DECRYPTION_PROOF, ctx, { g1: BASE, h1: X, g2: s.alpha, h2: factors[k]! }, x[j - 1]!, nonces[k]!));
      });
      return { index: j, publicShare: toHex(X.toBytes()), nonces: nonces.map(exponentToHex), share: { index: j, factors: factors.map((f) => toHex(f.toBytes())), proofs } };
    });
    const combinations = [[1, 2], [2, 3], [3, 1]].map((S) => {
      const lambdas = S.map((i) => lagrangeAtZero(S, i, ELL));
      const M = sumsUsed.map((s, k) => s.beta.subtract(S.reduce((acc, i, n) => acc.add(factorsOf(shares, i, k).multiply(lambdas[n]!)), RP.ZERO)));
      const counts = M.map((Mk) => [0, 1, 2, 3, 4].find((m) => (m === 0 ? RP.ZERO : BASE.multiply(BigInt(m))).equals(Mk)) ?? null);
      return { indices: S, lagrange: lambdas.map(exponentToHex), M: M.map((m) => toHex(m.toBytes())), counts };
    });
    return { note, sums: sumsUsed.map((s) => toHex(s.alpha.toBytes()) + toHex(s.beta.toBytes())), shares, combinations };
  };
  const factorsOf = (shares: { index: number; share: { factors: string[] } }[], i: number, k: number): Element => {
    const f = shares.find((s) => s.index === i)!.share.factors[k]!;
    return /^0+$/.test(f) ? RP.ZERO : RP.fromHex(f);
  };
  const cases = [shareCase('four-ballots', sums), shareCase('no-ballots', empty)];
  assert(cases[0]!.combinations.every((c) => c.counts.join() === '3,0,1'), 'counts 3, 0, 1');
  assert(cases[1]!.combinations.every((c) => c.counts.join() === '0,0,0'), 'empty counts');
  return {
    description:
      'Threshold decryption of homomorphic sums (protocol §9), t = 2 of 3. The election secret is shared by g(x) = b_0 + b_1·x over ℓ ' +
      '(b_k = exponent("decryption/b<k>")): Y = b_0·G, x_j = g(j), X_j = x_j·G. ciphertexts (α, β) = (r·G, m·G + r·Y) of four 3-entry ballots, r = ' +
      'exponent("decryption/r-<ballot>-<entry>"); sums[k] = enc(Σα) ‖ enc(Σβ). A share of device j: factor D_jk = x_j·α_k, proof = Chaum–Pedersen ' +
      'that log_G(X_j) = log_{α_k}(D_jk) with DST_DECRYPTION_PROOF, context fields(utf8(ballotId), enc(Y), u32be(j), u32be(k)) and the nonce listed. ' +
      'A sum whose α is the identity (no ballots) has the identity factor (64 zeros) and the proof 128 zeros. Any t shares combine: M_k = β_k − ' +
      'Σ λ_j·D_jk (λ over ℓ, little-endian) = counts[k]·G.',
    generator: GENERATOR,
    dst: DST_DECRYPTION_PROOF,
    t,
    ballotId,
    electionKey: toHex(Y.toBytes()),
    electionCoefficients: b.map(exponentToHex),
    electionShares: x.map(exponentToHex),
    ciphertexts: ciphertexts.map((c) => c.map((e) => ({ m: e.m, r: e.r, alpha: toHex(e.alpha.toBytes()), beta: toHex(e.beta.toBytes()) }))),
    cases,
  };
}

// ── receipt.json and cast.json ──────────────────────────────────────────────────────────────

function receiptFile(token: ReturnType<typeof tokenFile>, e: VectorElection) {
  const seed = bytes32('receipt/server-key-seed');
  const server = generateServerKey(seed);
  const serverKey = toHex(server.publicKey);
  const v = token.vectors[0]!;
  const cases = [
    { note: 'the token of token.json vectors[0] with a made-up commitment hash and election key', ballotId: v.ballotId, tokenHash: v.tokenHash, sigma: v.signature, commitment: toHex(bytes32('receipt/commitment-1')), publicKey: token.publicKey, electionKey: toHex(BASE.multiply(exponent('receipt/Y')).toBytes()) },
    ...e.casts.slice(0, 1).map((c) => ({ note: 'the first cast of bundle.json (in issuance order)', ballotId: e.def.id, tokenHash: c.receipt.tokenHash, sigma: c.receipt.sigma, commitment: c.receipt.commitment, publicKey: e.publicKey, electionKey: e.electionKey })),
  ];
  return {
    description:
      'Cast receipts (protocol §6.2). serverKey = Ed25519 public key (RFC 8032) of serverKeySeed = bytes32("receipt/server-key-seed"). message = ' +
      'message(DST_RECEIPT, utf8(ballotId), tokenHash, σ, c, publicKey, electionKey) with the byte lengths 32, 48, 32, 96, 32; signature = ' +
      'Ed25519(serverKeySeed, message), deterministic. receipt is the JSON a tablet keeps (exactly these eight members).',
    generator: GENERATOR,
    dst: DST_RECEIPT,
    serverKeySeed: toHex(seed),
    serverKey,
    vectors: cases.map(({ note, ...r }) => {
      const receipt = signReceipt(seed, serverKey, r);
      return { note, message: toHex(receiptMessage(r)), receipt };
    }),
  };
}

function castFile(e: VectorElection) {
  return {
    description:
      'What a tablet sends and what the tree holds (protocol §6.1, §6.3), for the casts of bundle.json in issuance order. mac = HMAC-SHA256(castKey, ' +
      'macMessage) with macMessage = message(DST_CAST_MAC, utf8(ballotId), token, σ, c) and castKey = bytes32("cast-key"); leaf = message(DST_LEAF, ' +
      'utf8(ballotId), token, σ, c) and leafHash = SHA-256(0x00 ‖ leaf) (RFC 6962).',
    generator: GENERATOR,
    dst: { mac: DST_CAST_MAC, leaf: DST_LEAF },
    ballotId: e.def.id,
    castKey: toHex(e.castKey),
    casts: e.casts.map((c) => {
      const token = c.token;
      const sigma = c.sigma;
      const commitment = fromHex(c.cast.commitment, 32, 'c');
      const macMessage = message(DST_CAST_MAC, utf8(e.def.id), token, sigma, commitment);
      assert(toHex(hmac(sha256, e.castKey, macMessage)) === castMac(e.castKey, e.def.id, token, sigma, commitment), 'mac');
      const leaf = castLeaf(e.def.id, c.cast);
      assert(toHex(leaf) === toHex(message(DST_LEAF, utf8(e.def.id), token, sigma, commitment)), 'leaf');
      return { token: c.cast.token, signature: c.cast.signature, commitment: c.cast.commitment, macMessage: toHex(macMessage), mac: c.mac, leaf: toHex(leaf), leafHash: toHex(leafHash(leaf)) };
    }),
  };
}

// ── ed25519.json ────────────────────────────────────────────────────────────────────────────

function ed25519File() {
  const Pt = ed25519.Point;
  const L = Pt.Fn.ORDER;
  const T = Pt.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'); // order 8
  const msg = utf8('piaojue ed25519 vector');
  const kOf = (R: Uint8Array, A: Uint8Array, m: Uint8Array) => le(sha512(new Uint8Array([...R, ...A, ...m]))) % L;
  const sig = (R: Uint8Array, S: bigint) => new Uint8Array([...R, ...leBytes(S)]);
  const a = (le(sha512(utf8(`${LABEL}/ed25519/a`))) % (L - 1n)) + 1n;
  const r = (le(sha512(utf8(`${LABEL}/ed25519/r`))) % (L - 1n)) + 1n;
  const A = Pt.BASE.multiply(a).toBytes();
  const honest = (Rp = Pt.BASE.multiply(r)) => {
    const R = Rp.toBytes();
    return sig(R, (r + kOf(R, A, msg) * a) % L);
  };
  const good = honest();
  // The RFC 8032 §7.1 test 1 (empty message).
  const rfcSecret = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 32, 's');
  const rfcPublic = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const rfcSig = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
  assert(toHex(ed25519.getPublicKey(rfcSecret)) === rfcPublic && toHex(ed25519Sign(rfcSecret, new Uint8Array(0))) === rfcSig, 'RFC 8032 test 1');
  // A = identity: [S]B = R + [k]·0 holds for R = [S]B.
  const idKey = Pt.ZERO.toBytes();
  const idSig = sig(Pt.BASE.multiply(5n).toBytes(), 5n);
  // A of order 8 and R = [S]B with k ≡ 0 (mod 8): the equation holds.
  let smallSig = new Uint8Array(64);
  for (let S = 1n; ; S++) {
    const R = Pt.BASE.multiply(S).toBytes();
    if (kOf(R, T.toBytes(), msg) % 8n === 0n) {
      smallSig = sig(R, S);
      break;
    }
  }
  // A = a·B + T (mixed order): with k ≡ 0 (mod 8) the honest signature verifies cofactorless.
  const Amixed = Pt.BASE.multiply(a).add(T).toBytes();
  let mixedSig = new Uint8Array(64);
  for (let rr = r; ; rr++) {
    const R = Pt.BASE.multiply(rr).toBytes();
    const k = kOf(R, Amixed, msg);
    if (k % 8n === 0n) {
      mixedSig = sig(R, (rr + k * a) % L);
      break;
    }
  }
  // R with a torsion component: R' = rB + T, S = r + k'·a with k' over R'.
  const Rt = Pt.BASE.multiply(r).add(T).toBytes();
  const torsionSig = sig(Rt, (r + kOf(Rt, A, msg) * a) % L);
  const S0 = le(good.subarray(32));
  const yNonCanonical = leBytes(P25519 + 1n); // y = p + 1 encodes y = 1 non-canonically
  const rIdentitySig = sig(Pt.ZERO.toBytes(), (kOf(Pt.ZERO.toBytes(), A, msg) * a) % L);
  let notOnCurve = '';
  for (let y = 2n; ; y++) {
    const enc = toHex(leBytes(y));
    if (codeOf(() => decodeSigningKey(fromHex(enc, 32, 'k'))) === 'POINT_NOT_ON_CURVE') {
      notOnCurve = enc;
      break;
    }
  }
  const negZero = '01' + '00'.repeat(30) + '80'; // y = 1 with the sign bit set: x = 0 cannot be negative
  const cases = [
    { name: 'RFC 8032 §7.1 test 1 (empty message)', publicKey: rfcPublic, message: '', signature: rfcSig, valid: true },
    { name: 'honest signature', publicKey: toHex(A), message: toHex(msg), signature: toHex(good), valid: true },
    { name: 'R = identity (r = 0, small order): the equation holds, R is refused (OpenSSL accepts this, libsodium does not)', publicKey: toHex(A), message: toHex(msg), signature: toHex(rIdentitySig), valid: false },
    { name: 'one bit of the message changed', publicKey: toHex(A), message: toHex(utf8('piaojue ed25519 vectos')), signature: toHex(good), valid: false },
    { name: 'S + L (S not reduced: S ≥ L is refused)', publicKey: toHex(A), message: toHex(msg), signature: toHex(sig(good.subarray(0, 32), S0 + L)), valid: false },
    { name: 'R with a torsion component (R = rB + T8): the cofactored equation [8]SB = [8]R + [8]kA accepts it, the cofactorless one does not', publicKey: toHex(A), message: toHex(msg), signature: toHex(torsionSig), valid: false, cofactoredAccepts: true },
    { name: 'A = identity (small order) with R = [S]B: the equation holds, the key is refused (OpenSSL accepts this)', publicKey: toHex(idKey), message: toHex(msg), signature: toHex(idSig), valid: false },
    { name: 'A of order 8 with R = [S]B and k ≡ 0 mod 8: the equation holds, the key is refused', publicKey: toHex(T.toBytes()), message: toHex(msg), signature: toHex(smallSig), valid: false },
    { name: 'A of mixed order (aB + T8) with k ≡ 0 mod 8: accepted (not of small order); refused as a device key (not in the prime-order subgroup)', publicKey: toHex(Amixed), message: toHex(msg), signature: toHex(mixedSig), valid: true },
    { name: 'R encoded with y = p + 1 (non-canonical identity)', publicKey: toHex(A), message: toHex(msg), signature: toHex(sig(yNonCanonical, le(rIdentitySig.subarray(32)))), valid: false },
    { name: 'A encoded with y ≥ p', publicKey: toHex(yNonCanonical), message: toHex(msg), signature: toHex(good), valid: false },
    { name: 'A not on the curve (no x for this y)', publicKey: notOnCurve, message: toHex(msg), signature: toHex(good), valid: false },
    { name: 'R = (x = 0, y = 1) with the sign bit set ("−0")', publicKey: toHex(A), message: toHex(msg), signature: negZero + toHex(good.subarray(32)), valid: false },
  ].map((c) => {
    const ok = ed25519Verify(fromHex(c.publicKey, 32, 'A'), fromHex(c.message, undefined, 'm'), fromHex(c.signature, 64, 's'));
    assert(ok === c.valid, `ed25519 ${c.name}`);
    if ('cofactoredAccepts' in c) assert(ed25519.verify(fromHex(c.signature, 64, 's'), fromHex(c.message, undefined, 'm'), fromHex(c.publicKey, 32, 'A'), { zip215: false }), 'cofactored accepts');
    return { ...c, asDeviceKey: codeOf(() => decodeSigningKey(fromHex(c.publicKey, 32, 'A'))) };
  });
  return {
    description:
      'Ed25519 as piaojue verifies it (protocol §6.2): A and R decode under RFC 8032 §5.1.3 with y < p (and no x = 0 with the sign bit set), A is ' +
      'not of small order, S (little-endian) < L, k = SHA-512(R ‖ A ‖ M) mod L, and [S]B = R + [k]A exactly (cofactorless). valid is what every ' +
      'implementation must answer. asDeviceKey is what the ceremony does with the key as a scrutineer signing key (protocol §4.8): it must also be in ' +
      'the prime-order subgroup. a and r of the honest signatures are LE(SHA-512(utf8("' + LABEL + '/ed25519/a|r"))) mod (L − 1) + 1; T8 = ' +
      'c7176a70…ac037a, a point of order 8.',
    generator: GENERATOR,
    cases,
  };
}

// ── json-text.json ──────────────────────────────────────────────────────────────────────────

function jsonTextFile() {
  const u = (s: string) => toHex(utf8(s));
  const nest = (k: number, inner: string) => '['.repeat(k) + inner + ']'.repeat(k);
  const cases = [
    { name: 'a plain object', text: u('{"a":1,"b":[true,false,null],"c":"票决"}'), accepted: true },
    { name: 'whitespace: space, tab, LF, CR', text: u(' \t\r\n{ "a" : 1 }\n'), accepted: true },
    { name: 'a UTF-8 byte-order mark first', text: 'efbbbf' + u('{"a":1}'), accepted: false },
    { name: 'a duplicate member name', text: u('{"a":1,"a":1}'), accepted: false },
    { name: 'a duplicate member name after unescaping ("a" and "\\u0061")', text: u('{"a":1,"\\u0061":2}'), accepted: false },
    { name: 'equal names in different objects', text: u('{"a":{"a":1},"b":{"a":2}}'), accepted: true },
    { name: 'a fraction (1.0)', text: u('{"a":1.0}'), accepted: false },
    { name: 'an exponent (1e3)', text: u('{"a":1e3}'), accepted: false },
    { name: 'minus zero', text: u('{"a":-0}'), accepted: false },
    { name: '2^53 − 1', text: u('{"a":9007199254740991}'), accepted: true },
    { name: '−(2^53 − 1)', text: u('{"a":-9007199254740991}'), accepted: true },
    { name: '2^53 (not a safe integer)', text: u('{"a":9007199254740992}'), accepted: false },
    { name: 'a leading zero', text: u('{"a":01}'), accepted: false },
    { name: 'an escaped lone surrogate', text: u('{"a":"\\ud800"}'), accepted: false },
    { name: 'an escaped surrogate pair', text: u('{"a":"\\ud83d\\ude00"}'), accepted: true },
    { name: 'a raw control character in a string', text: u('{"a":"x') + '09' + u('"}'), accepted: false },
    { name: 'bytes that are not UTF-8 (0xff)', text: u('{"a":"') + 'ff' + u('"}'), accepted: false },
    { name: 'a UTF-8 encoded surrogate (CESU-8, ed a0 80)', text: u('{"a":"') + 'eda080' + u('"}'), accepted: false },
    { name: '64 nested arrays around 0: the 0 is at depth 64', text: u(nest(64, '0')), accepted: true },
    { name: '65 nested arrays around 0: the 0 is at depth 65', text: u(nest(65, '0')), accepted: false },
    { name: '65 nested empty arrays: the innermost is at depth 64', text: u(nest(65, '')), accepted: true },
    { name: 'text after the value', text: u('{"a":1}x'), accepted: false },
    { name: 'a trailing comma', text: u('{"a":1,}'), accepted: false },
  ].map((c) => {
    let got: boolean;
    try {
      parseJsonStrict(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(fromHex(c.text, undefined, 'text')));
      got = true;
    } catch {
      got = false;
    }
    assert(got === c.accepted, `json ${c.name}`);
    return c;
  });
  return {
    description:
      'The bundle\'s JSON text (protocol §7.5). text is the raw bytes (hex). A reader decodes them as UTF-8, refusing invalid sequences and keeping a ' +
      'leading byte-order mark (TextDecoder fatal, ignoreBOM), then parses strictly (crypto/json.ts parseJsonStrict): accepted says whether the text ' +
      'yields a value. Every refusal is a MALFORMED bundle. Depth: the top value has depth 0, a member or element of a value of depth d has depth d + 1, ' +
      'and no value may have depth > 64.',
    generator: GENERATOR,
    cases,
  };
}

// ── canonical.json and merkle.json (unchanged from piaojue/1 apart from the version string) ─

function canonicalFile() {
  const values: CanonicalValue[] = [
    null, true, false, 0, 1, -1, 255, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
    '', 'a', '票决',
    [], [1, 'a', null, [false]],
    {}, { b: 1, a: [true] },
    { z: 2, é: 1, a: 3 },
    { '\uff61': 1, '\u{1f600}': 2 },
    { version: PROTOCOL_VERSION, nested: { list: [{ k: 'v' }, {}], n: -2 } },
  ];
  return {
    description:
      'Canonical encoding (protocol §3.2), used for the bundle signature. null → "n", true → "t", false → "f", integer → "i" ‖ int64be (safe integers only), ' +
      'string → "s" ‖ field(utf8), array → "a" ‖ u32be(n) ‖ items, object → "o" ‖ u32be(n) ‖ (field(utf8 key) ‖ value)… with keys sorted by their UTF-8 bytes ' +
      '(so "\uff61" sorts before "\u{1f600}", the reverse of UTF-16 order). hex is canonical(value).',
    generator: GENERATOR,
    vectors: values.map((value) => ({ value, hex: toHex(canonical(value)) })),
  };
}

function merkleFile() {
  const leaves = Array.from({ length: 8 }, (_, i) => utf8(`piaojue merkle vector leaf ${i}`));
  const hashes = leaves.map(leafHash);
  return {
    description:
      'RFC 6962 §2.1 Merkle tree (protocol §6.1): leafHash = SHA-256(0x00 ‖ leaf), node = SHA-256(0x01 ‖ left ‖ right), split at the largest power of two ' +
      'below n; the empty tree hashes to SHA-256(""). leaves are the raw leaf contents (hex); trees[n] uses the first n leaves and gives its root and, ' +
      'for each index, the audit path (RFC 6962 §2.1.1, leaf to root) that RFC 9162 §2.1.3.2 verifies.',
    generator: GENERATOR,
    leaves: leaves.map(toHex),
    leafHashes: hashes.map(toHex),
    trees: Array.from({ length: 9 }, (_, n) => {
      const hs = hashes.slice(0, n);
      return { size: n, root: toHex(merkleRoot(hs)), proofs: hs.map((_, i) => inclusionProof(hs, i).map(toHex)) };
    }),
  };
}

// ── bundle.json, bundle-inputs.json, bundles-invalid.json ─────────────────────────────────

function bundleInputsFile(e: VectorElection) {
  const b = e.bundle;
  assert(sharesValid(e, b.decryption, sumsOf(b)), 'bundle decryption shares');
  return {
    description:
      'Inputs of docs/vectors/bundle.json, a complete signed piaojue/2 audit bundle (protocol §7): a decision ballot with 2 items; the n = 3, t = 2 ' +
      'ceremony of ceremony.json; 5 standing members, u5 absent; every device confirms the attendance (count-0 log), devices 1 and 2 sign each of the 4 ' +
      'present members\' blinded points (token = bytes32("bundle/token-k"), r = scalar("bundle/r-k"), k = 1…4 in roster order) and combine; members 1–3 ' +
      'cast (choices below; sealBallot draws from stream("bundle/seal-k"), listed in random), member 4 never casts; devices 1 and 3 publish their ' +
      'decryption shares, the DLEQ nonce of device j on entry k being exponent("bundle/decryption/j/k"). serverKeySeed = bytes32("server-key-seed"). ' +
      'The token point and token hash use the piaojue/2 tags (token.json). bundle.json is the bare bundle (the strict parser refuses any other member); ' +
      'expected is what the verifier must find, and receipts are the casts\' receipts, each of which checkReceipt finds included. ' +
      `${DERIVATION}.`,
    generator: GENERATOR,
    label: LABEL,
    serverKeySeed: toHex(e.serverSecret),
    castKey: toHex(e.castKey),
    casts: e.casts.map((c, k) => ({
      k: k + 1,
      choices: CAST_CHOICES[k],
      selections: c.selections,
      token: toHex(c.token), r: hexOf(c.r), blinded: toHex(c.blinded), partials: c.partials, signature: toHex(c.sigma),
      random: c.random.map(exponentToHex), sealed: c.cast.sealed, commitment: c.cast.commitment, mac: c.mac,
    })),
    receipts: e.casts.map((c) => c.receipt),
    expected: {
      ok: true,
      failures: [],
      publicKey: b.publicKey,
      electionKey: b.electionKey,
      serverKey: b.serverKey,
      merkleRoot: b.merkleRoot,
      fingerprint: ceremonyFingerprint(e.ceremony.transcript),
      tally: b.tally,
    },
  };
}

function negativeFile(e: VectorElection) {
  return {
    description:
      'Tampered audit bundles (protocol §10.1), one per verifier check, each derived from bundle.json. A verifier run with `options` (serverKey: a pinned ' +
      'server key) must report exactly `failures` — every failure in report order with its code and, where the check names a cast, its ballot index — ' +
      'and so exactly the codes in `expected`. Changes a dishonest server would make are re-signed with the fixture\'s server key (and, where a change ' +
      'moves the casts, with root, sums, decryption shares and counts recomputed), so that BUNDLE_SIGNATURE does not catch them and the named check must.',
    generator: GENERATOR,
    vectors: negativeVectors(e),
  };
}

// ── all files ───────────────────────────────────────────────────────────────────────────────

/** Every file of docs/vectors/, by name. `rfc` is tests/vectors/rfc9496.json. */
export function vectorFiles(rfc: Rfc9496): Record<string, unknown> {
  const token = tokenFile();
  const ceremony = seededCeremony();
  const e = vectorElection();
  return {
    'group.json': groupFile(rfc),
    'shamir.json': shamirFile(),
    'token.json': token,
    'threshold.json': thresholdFile(token),
    'ceremony.json': ceremonyFile(ceremony),
    'issuance-log.json': issuanceLogFile(ceremony),
    'sealed.json': sealedFile(),
    'decryption.json': decryptionFile(),
    'receipt.json': receiptFile(token, e),
    'cast.json': castFile(e),
    'ed25519.json': ed25519File(),
    'json-text.json': jsonTextFile(),
    'canonical.json': canonicalFile(),
    'merkle.json': merkleFile(),
    'bundle-inputs.json': bundleInputsFile(e),
    'bundle.json': e.bundle,
    'bundles-invalid.json': negativeFile(e),
    'kinds.json': kindsFile(e),
  };
}

// ── kinds.json ───────────────────────────────────────────────────────────────────────────

/** One case of kinds.json: a definition, its shape, answers and their selection vectors, totals and the tally. */
type KindCase = {
  readonly note: string;
  readonly definition: BallotDefinition;
  readonly shape: BallotShape;
  readonly answers: { readonly answer: number[][]; readonly selections: number[][] }[];
  readonly roster: { memberId: string; present: boolean; issued: number }[];
  readonly cast: number;
  readonly totals: number[];
  readonly tally: Tally;
};

function kindCase(note: string, def: Omit<BallotDefinition, 'id' | 'meetingId' | 'recused' | 'round'> & Partial<BallotDefinition>, answers: number[][][], roster: { memberId: string; present: boolean; issued: number }[]): KindCase {
  const definition = parseDefinition({ id: 'b-kinds', meetingId: 'm-kinds', recused: [], round: { number: 1, previous: null }, ...def });
  const shape = ballotShape(definition);
  const rows = answers.map((a) => ({ answer: a, selections: answerSelections(definition, a) }));
  const entries = shape.groups.reduce((n, g) => n + g.size, 0);
  const totals = new Array<number>(entries).fill(0);
  for (const r of rows) r.selections.flat().forEach((x, k) => (totals[k]! += x));
  return { note, definition, shape, answers: rows, roster, cast: rows.length, totals, tally: tallyFromCounts(definition, roster, rows.length, totals) };
}

const kindRoster = (n: number, absent = 0) => Array.from({ length: n }, (_, i) => ({ memberId: `u${i + 1}`, present: i < n - absent, issued: i < n - absent ? 1 : 0 }));
const kindItems = (names: string[], post: string) => names.map((nominee, i) => ({ id: `i${i + 1}`, nominee, post }));

function kindsFile(e: VectorElection) {
  const approval = ['agree', 'disagree', 'abstain'];
  const cases = [
    kindCase('decision, 10 entitled, 6 present, 6 cast: item 1 has 5 agree (exactly half: failed), item 2 has 6 (passed)', {
      type: 'decision', title: '常委会票决', items: kindItems(['王明', '陈静'], '县财政局局长'), options: approval,
      rule: KINDS.decision.defaultRule(approval), params: {}, recusedItems: [],
    }, [[[0], [0]], [[0], [0]], [[0], [0]], [[0], [0]], [[0], [0]], [[1], [0]]], kindRoster(10, 4)),
    kindCase('plenary, 7 委员 entitled, u7 recused from item 2 (its group min 0, left blank): item 2 counted against 6 entitled', {
      type: 'plenary', title: '全委会表决', items: kindItems(['李华', '赵强'], '县长候选人'), options: approval,
      rule: KINDS.plenary.defaultRule(approval), params: {}, recusedItems: [{ memberId: 'u7', items: [1] }],
    }, [[[0], [0]], [[0], [0]], [[0], [0]], [[1], [0]], [[2], [1]], [[0], [1]], [[0], []]], kindRoster(7)),
    kindCase('consultation, 9 entitled: 4 disagree of 9 is kept, 5 is dropped', {
      type: 'consultation', title: '征求意见', items: kindItems(['周八', '吴九'], '县教育局局长'), options: approval,
      rule: KINDS.consultation.defaultRule(approval), params: {}, recusedItems: [],
    }, [[[1], [1]], [[1], [1]], [[1], [1]], [[1], [1]], [[0], [1]], [[0], [0]], [[2], [0]], [[0], [0]], [[0], [0]]], kindRoster(9)),
    kindCase('recommendation, 5 candidates, 2 places, 8 cast with one blank: ranks 1, 2, 2, 4, 5; flagged where votes·2 > 8', {
      type: 'recommendation', title: '民主推荐', items: kindItems(['甲', '乙', '丙', '丁', '戊'], '县直单位正科级干部'), options: ['votes'],
      rule: KINDS.recommendation.defaultRule(['votes']), params: { post: '县委统战部部长', seats: 2 }, recusedItems: [],
    }, [[[0, 1]], [[0, 2]], [[0, 1]], [[0, 2]], [[0, 3]], [[1, 2]], [[4]], [[]]], kindRoster(9, 1)),
    kindCase('evaluation, satisfaction grades, flag where dissatisfied·3 > the ballots grading that person', {
      type: 'evaluation', title: '民主测评', items: kindItems(['刘某', '孙某'], '乡长'), options: SATISFACTION_GRADES,
      rule: { option: 'dissatisfied', base: 'cast', threshold: { num: 1, den: 3 }, strict: true, quorum: null }, params: {}, recusedItems: [],
    }, [[[0], [2]], [[1], [2]], [[0], [0]], [[2], [1]], [[3], [2]], [[0], [1]]], kindRoster(6)),
  ];
  return {
    description:
      'Ballot kinds (protocol §5.1, §8, §9.4): per kind a definition (as parseDefinition returns it), its shape (ballotShape), answers ' +
      '(per group the selected entries) with their selection vectors (answerSelections), the roster and per-entry totals a decryption ' +
      'would give for these casts, and the tally (tallyFromCounts). roundLink: the bundleId of bundle.json (§7.6), which a next round names.',
    cases,
    roundLink: { ballotId: e.def.id, bundleId: bundleId(e.bundle) },
  };
}

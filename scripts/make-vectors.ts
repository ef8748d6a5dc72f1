/**
 * @module scripts/make-vectors
 * Writes the project's deterministic test vectors to docs/vectors/ (`npm run vectors`):
 * blind BLS tokens, commitments, receipts, the Merkle tree, the canonical encoding and one
 * small signed audit bundle. Every secret comes from a fixed label through SHA-256, the
 * blinding factors and tokens are fixed, and Ed25519 is deterministic, so running the script
 * twice writes identical files. tests/crypto/vectors.test.ts recomputes every vector. The first
 * token, commitment and receipt vectors are the worked example of docs/protocol.md Appendix A.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  DST_COMMIT, DST_KEYGEN, DST_RECEIPT, DST_TOKEN, DST_TOKEN_HASH, PROTOCOL_VERSION,
  blindToken, canonical, commit, encodeChoices, generateBallotKey, generateServerKey, inclusionProof,
  leafHash, merkleRoot, pointToHex, receiptMessage, signBlinded, signReceipt, toHex, tokenHash, tokenPoint,
  unblindSignature, utf8, type CanonicalValue,
} from '../crypto/index.ts';
import { FIXTURE_LABEL, bundleFromInputs, defaultInputs, derive, deriveScalar, negativeCases } from '../tests/helpers/bundle-fixture.ts';

const OUT = new URL('../docs/vectors/', import.meta.url);
const GENERATOR = 'scripts/make-vectors.ts (npm run vectors)';

/** `n` copies of byte `b`. */
const fill = (b: number, n = 32) => new Uint8Array(n).fill(b);
/** The 32-byte big-endian scalar 3, the worked example's blinding factor. */
const THREE = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 3 : 0));
const WORKED = 'worked example of docs/protocol.md Appendix A';

function write(name: string, value: unknown): void {
  writeFileSync(new URL(name, OUT), JSON.stringify(value, null, 2) + '\n');
}

/** token.json: seed → ballot key; (ballotId, token, r) → M, B, S', σ, tokenHash. */
function tokenVectors() {
  const cases = [
    { note: WORKED, ballotId: 'b1', seed: fill(1), token: fill(2), r: THREE },
    ...[
      { ballotId: 'ballot-2024-07-a', n: 0 },
      { ballotId: 'ballot-2024-07-a', n: 1 },
      { ballotId: 'B', n: 2 },
    ].map(({ ballotId, n }) => ({
      note: `derived: seed, token and r from "${FIXTURE_LABEL}/token-vector-${n}/…"`,
      ballotId,
      seed: derive(`token-vector-${n}/seed`),
      token: derive(`token-vector-${n}/token`),
      r: deriveScalar(`token-vector-${n}/r`),
    })),
  ];
  return {
    description:
      'Blind BLS tokens (protocol §4). secretKey/publicKey = generateBallotKey(seed) (HKDF-SHA256 with info DST_KEYGEN, reduced to [1, r); publicKey compressed G2). ' +
      'M = tokenPoint(ballotId, token) = hash_to_curve_G1(field(ballotId) ‖ field(token)) with DST_TOKEN; blinded B = r·M; blindSignature S\' = sk·B; ' +
      'signature σ = r⁻¹·S\' (equals sk·M); tokenHash = SHA-256(message(DST_TOKEN_HASH, ballotId, token)). All points compressed, all bytes lowercase hex.',
    generator: GENERATOR,
    dst: { keygen: DST_KEYGEN, token: DST_TOKEN, tokenHash: DST_TOKEN_HASH },
    vectors: cases.map(({ note, ballotId, seed, token, r }) => {
      const key = generateBallotKey(seed);
      const state = blindToken(ballotId, { token, r });
      const blindSignature = signBlinded(key.secretKey, state.blinded);
      return {
        note,
        ballotId,
        seed: toHex(seed),
        secretKey: toHex(key.secretKey),
        publicKey: toHex(key.publicKey),
        token: toHex(token),
        r: toHex(r),
        M: pointToHex(tokenPoint(ballotId, token)),
        blinded: toHex(state.blinded),
        blindSignature: toHex(blindSignature),
        signature: toHex(unblindSignature(state, blindSignature, key.publicKey)),
        tokenHash: toHex(tokenHash(ballotId, token)),
      };
    }),
  };
}

/** commitment.json: (ballotId, token, choices, salt) → encodeChoices, commitment. */
function commitmentVectors() {
  const derived = (ballotId: string, choices: string[], n: number) => ({
    note: `derived: token and salt from "${FIXTURE_LABEL}/commitment-vector-${n}/…"`,
    ballotId,
    choices,
    token: derive(`commitment-vector-${n}/token`),
    salt: derive(`commitment-vector-${n}/salt`),
  });
  const cases = [
    { note: WORKED, ballotId: 'b1', choices: ['agree', 'abstain'], token: fill(2), salt: fill(4) },
    derived('ballot-2024-07-a', ['agree'], 0),
    derived('ballot-2024-07-a', ['agree', 'disagree', 'abstain'], 1),
    derived('ballot-2024-07-b', [], 2),
    derived('x', ['ab', 'c'], 3),
    derived('x', ['a', 'bc'], 4),
  ];
  return {
    description:
      'Commitments (protocol §5). encodedChoices = encodeChoices(choices) = u32be(n) ‖ field(utf8(c1)) ‖ … ‖ field(utf8(cn)); ' +
      'commitment = SHA-256(message(DST_COMMIT, utf8(ballotId), token, encodedChoices, salt)), where field(b) = u32be(len b) ‖ b and ' +
      'message(dst, …) = field(utf8(dst)) ‖ field(…) ‖ …. The last two vectors show that ["ab","c"] and ["a","bc"] encode differently.',
    generator: GENERATOR,
    dst: DST_COMMIT,
    vectors: cases.map(({ note, ballotId, choices, token, salt }) => {
      return {
        note,
        ballotId,
        token: toHex(token),
        choices,
        salt: toHex(salt),
        encodedChoices: toHex(encodeChoices(choices)),
        commitment: toHex(commit(ballotId, token, choices, salt)),
      };
    }),
  };
}

/** receipt.json: Ed25519 server key from a seed; receipt messages and their signatures. */
function receiptVectors() {
  const seed = fill(5);
  const server = generateServerKey(seed);
  const workedToken = fill(2);
  const cases = [
    { note: WORKED, ballotId: 'b1', tokenHash: tokenHash('b1', workedToken), commitment: commit('b1', workedToken, ['agree', 'abstain'], fill(4)) },
    ...[0, 1].map((n) => ({
      note: `derived: tokenHash and commitment from "${FIXTURE_LABEL}/receipt-vector-${n}/…"`,
      ballotId: n === 1 ? 'ballot-2024-07-b' : 'ballot-2024-07-a',
      tokenHash: derive(`receipt-vector-${n}/tokenHash`),
      commitment: derive(`receipt-vector-${n}/commitment`),
    })),
  ];
  return {
    description:
      'Cast receipts (protocol §6.2). serverPublicKey = Ed25519 public key (RFC 8032) of the 32-byte secret seed serverKeySeed. ' +
      'message = message(DST_RECEIPT, utf8(ballotId), tokenHash, commitment); signature = Ed25519(serverKeySeed, message), deterministic.',
    generator: GENERATOR,
    dst: DST_RECEIPT,
    serverKeySeed: toHex(seed),
    serverPublicKey: toHex(server.publicKey),
    vectors: cases.map(({ note, ballotId, tokenHash: th, commitment: c }) => {
      const receipt = signReceipt(server.secretKey, ballotId, th, c);
      return {
        note,
        ballotId,
        tokenHash: toHex(th),
        commitment: toHex(c),
        message: toHex(receiptMessage(ballotId, th, c)),
        signature: receipt.signature,
      };
    }),
  };
}

/** merkle.json: 8 fixed leaves; for n = 0..8 the root of the first n and every audit path. */
function merkleVectors() {
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

/** canonical.json: JSON values → canonical() bytes. */
function canonicalVectors() {
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

function main(): void {
  mkdirSync(OUT, { recursive: true });
  write('token.json', tokenVectors());
  write('commitment.json', commitmentVectors());
  write('receipt.json', receiptVectors());
  write('merkle.json', merkleVectors());
  write('canonical.json', canonicalVectors());
  const inputs = defaultInputs();
  const { bundle } = bundleFromInputs(inputs);
  write('bundle-inputs.json', {
    description:
      'Inputs of docs/vectors/bundle.json, a complete signed audit bundle (protocol §7): a decision ballot with 2 items, 5 roster members (all present and ' +
      'issued), 4 accepted casts of which the last is never opened. ballotKeySeed → generateBallotKey; serverKeySeed → Ed25519 key; each cast: blindToken(ballotId, ' +
      '{token, r}), signBlinded, unblindSignature, commit(ballotId, token, choices, salt) (an unopened cast commits to ["agree","agree"]); then assembleBundle. ' +
      'All seeds are SHA-256(utf8(label + "/" + purpose)); r has its top two bits cleared. bundle.json itself is the bare bundle (no description field: the ' +
      'strict bundle parser refuses unknown fields), so `npm run verify -- docs/vectors/bundle.json` verifies it as is; expected is what the verifier finds.',
    generator: GENERATOR,
    label: FIXTURE_LABEL,
    inputs,
    expected: {
      ok: true,
      publicKey: bundle.publicKey,
      serverKey: bundle.serverKey,
      merkleRoot: bundle.merkleRoot,
      tally: bundle.tally,
    },
  });
  write('bundle.json', bundle);
  write('bundles-invalid.json', {
    description:
      'Tampered audit bundles, each derived from bundle.json so that it trips one verifier check (protocol §10.1); PUBLIC_KEY also fails every token. ' +
      'A verifier run with `options` (serverKey: the pinned server key) must report exactly the failure codes in `expected`, in that order ' +
      '(the CHECKS order). Changes a dishonest server would make are re-signed with the real server key, so they are not caught by BUNDLE_SIGNATURE.',
    generator: GENERATOR,
    vectors: negativeCases(),
  });
}

main();

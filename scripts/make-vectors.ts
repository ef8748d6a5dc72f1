/**
 * @module scripts/make-vectors
 * Writes the project's deterministic test vectors to docs/vectors/ (`npm run vectors`):
 * blind BLS tokens, commitments, receipts, the Merkle tree, the canonical encoding and one
 * small signed audit bundle. Every secret comes from a fixed label through SHA-256, the
 * blinding factors and tokens are fixed, and Ed25519 is deterministic, so running the script
 * twice writes identical files. tests/crypto/vectors.test.ts recomputes every vector.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  DST_COMMIT, DST_KEYGEN, DST_LEAF, DST_RECEIPT, DST_TOKEN, DST_TOKEN_HASH, PROTOCOL_VERSION,
  blindToken, canonical, commit, encodeChoices, fromHex, generateBallotKey, generateServerKey, inclusionProof,
  leafHash, merkleRoot, pointToHex, receiptMessage, signBlinded, signReceipt, toHex, tokenHash, tokenPoint,
  unblindSignature, utf8, type CanonicalValue,
} from '../crypto/index.ts';
import { FIXTURE_LABEL, bundleFromInputs, defaultInputs, derive, deriveScalar } from '../tests/helpers/bundle-fixture.ts';

const OUT = new URL('../docs/vectors/', import.meta.url);
const GENERATOR = 'scripts/make-vectors.ts (npm run vectors)';

function write(name: string, value: unknown): void {
  writeFileSync(new URL(name, OUT), JSON.stringify(value, null, 2) + '\n');
}

/** token.json: seed → ballot key; (ballotId, token, r) → M, B, S', σ, tokenHash. */
function tokenVectors() {
  const cases = [
    { ballotId: 'ballot-2024-07-a', n: 0 },
    { ballotId: 'ballot-2024-07-a', n: 1 },
    { ballotId: 'B', n: 2 },
  ];
  return {
    description:
      'Blind BLS tokens (protocol §4). secretKey/publicKey = generateBallotKey(seed) (HKDF-SHA256 with info DST_KEYGEN, reduced to [1, r); publicKey compressed G2). ' +
      'M = tokenPoint(ballotId, token) = hash_to_curve_G1(field(ballotId) ‖ field(token)) with DST_TOKEN; blinded B = r·M; blindSignature S\' = sk·B; ' +
      'signature σ = r⁻¹·S\' (equals sk·M); tokenHash = SHA-256(message(DST_TOKEN_HASH, ballotId, token)). All points compressed, all bytes lowercase hex.',
    generator: GENERATOR,
    dst: { keygen: DST_KEYGEN, token: DST_TOKEN, tokenHash: DST_TOKEN_HASH },
    vectors: cases.map(({ ballotId, n }) => {
      const seed = derive(`token-vector-${n}/seed`);
      const token = derive(`token-vector-${n}/token`);
      const r = deriveScalar(`token-vector-${n}/r`);
      const key = generateBallotKey(seed);
      const state = blindToken(ballotId, { token, r });
      const blindSignature = signBlinded(key.secretKey, state.blinded);
      return {
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
  const cases: { ballotId: string; choices: string[] }[] = [
    { ballotId: 'ballot-2024-07-a', choices: ['agree'] },
    { ballotId: 'ballot-2024-07-a', choices: ['agree', 'disagree', 'abstain'] },
    { ballotId: 'ballot-2024-07-b', choices: [] },
    { ballotId: 'x', choices: ['ab', 'c'] },
    { ballotId: 'x', choices: ['a', 'bc'] },
  ];
  return {
    description:
      'Commitments (protocol §5). encodedChoices = encodeChoices(choices) = u32be(n) ‖ field(utf8(c1)) ‖ … ‖ field(utf8(cn)); ' +
      'commitment = SHA-256(message(DST_COMMIT, utf8(ballotId), token, encodedChoices, salt)), where field(b) = u32be(len b) ‖ b and ' +
      'message(dst, …) = field(utf8(dst)) ‖ field(…) ‖ …. The last two vectors show that ["ab","c"] and ["a","bc"] encode differently.',
    generator: GENERATOR,
    dst: DST_COMMIT,
    vectors: cases.map(({ ballotId, choices }, n) => {
      const token = derive(`commitment-vector-${n}/token`);
      const salt = derive(`commitment-vector-${n}/salt`);
      return {
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
  const seed = derive('receipt/server-key-seed');
  const server = generateServerKey(seed);
  return {
    description:
      'Cast receipts (protocol §6.2). serverPublicKey = Ed25519 public key (RFC 8032) of the 32-byte secret seed serverKeySeed. ' +
      'message = message(DST_RECEIPT, utf8(ballotId), tokenHash, commitment); signature = Ed25519(serverKeySeed, message), deterministic.',
    generator: GENERATOR,
    dst: DST_RECEIPT,
    serverKeySeed: toHex(seed),
    serverPublicKey: toHex(server.publicKey),
    vectors: [0, 1, 2].map((n) => {
      const ballotId = n === 2 ? 'ballot-2024-07-b' : 'ballot-2024-07-a';
      const th = derive(`receipt-vector-${n}/tokenHash`);
      const c = derive(`receipt-vector-${n}/commitment`);
      const receipt = signReceipt(server.secretKey, ballotId, th, c);
      return {
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
}

main();

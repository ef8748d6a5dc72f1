// Project test vectors (docs/vectors/*.json, written by scripts/make-vectors.ts): every value is
// recomputed here from the inputs stored in its file and compared byte for byte; the vector
// bundle verifies, and each tampered bundle gives exactly its expected failure codes.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import {
  DST_COMMIT, DST_KEYGEN, DST_RECEIPT, DST_TOKEN, DST_TOKEN_HASH, blindToken, canonical, checkOpening, commit,
  decodeScalar, encodeChoices, fromHex, generateBallotKey, generateServerKey, inclusionProof, leafHash, merkleRoot,
  pointToHex, receiptMessage, serverSign, serverVerify, signBlinded, toHex, tokenHash, tokenPoint, unblindSignature,
  verifyBundle, verifyInclusion, verifyReceipt, verifyToken,
  type CanonicalValue, type FailureCode,
} from '../../crypto/index.ts';
import { bundleFromInputs, negativeCases, type BundleVectorInputs } from '../helpers/bundle-fixture.ts';

const dir = new URL('../../docs/vectors/', import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;
const hex = (h: string) => fromHex(h, undefined, 'vector');

type TokenVector = {
  note: string; ballotId: string; seed: string; secretKey: string; publicKey: string; token: string; r: string;
  M: string; blinded: string; blindSignature: string; signature: string; tokenHash: string;
};
type CommitmentVector = { note: string; ballotId: string; token: string; choices: string[]; salt: string; encodedChoices: string; commitment: string };
type ReceiptVector = { note: string; ballotId: string; tokenHash: string; commitment: string; message: string; signature: string };
type NegativeVector = { name: string; description: string; expected: FailureCode[]; options: { serverKey?: string }; bundle: unknown };

const files = ['token.json', 'commitment.json', 'receipt.json', 'merkle.json', 'canonical.json', 'bundle-inputs.json', 'bundles-invalid.json'];

describe('docs/vectors', () => {
  for (const name of files)
    it(`${name} has a description`, () => {
      const v = load<{ description?: unknown }>(name);
      expect(typeof v.description).toBe('string');
      expect((v.description as string).length).toBeGreaterThan(40);
    });
});

describe('token.json', () => {
  const file = load<{ dst: Record<string, string>; vectors: TokenVector[] }>('token.json');

  it('names the DSTs of this protocol version', () => {
    expect(file.dst).toEqual({ keygen: DST_KEYGEN, token: DST_TOKEN, tokenHash: DST_TOKEN_HASH });
  });

  for (const v of file.vectors)
    it(`recomputes key, M, B, S′, σ and tokenHash (${v.note.slice(0, 40)}…, ballot ${v.ballotId})`, () => {
      const key = generateBallotKey(hex(v.seed));
      expect(toHex(key.secretKey)).toBe(v.secretKey);
      expect(toHex(key.publicKey)).toBe(v.publicKey);
      const token = hex(v.token);
      expect(pointToHex(tokenPoint(v.ballotId, token))).toBe(v.M);
      const state = blindToken(v.ballotId, { token, r: hex(v.r) });
      expect(toHex(state.blinded)).toBe(v.blinded);
      const S = signBlinded(key.secretKey, state.blinded);
      expect(toHex(S)).toBe(v.blindSignature);
      expect(toHex(unblindSignature(state, S, key.publicKey))).toBe(v.signature);
      expect(toHex(tokenHash(v.ballotId, token))).toBe(v.tokenHash);
      // σ is the plain BLS signature sk·M, independent of r, and verifies.
      expect(pointToHex(tokenPoint(v.ballotId, token).multiply(decodeScalar(key.secretKey)))).toBe(v.signature);
      expect(verifyToken(key.publicKey, v.ballotId, token, hex(v.signature))).toBe(true);
    });
});

describe('commitment.json', () => {
  const file = load<{ dst: string; vectors: CommitmentVector[] }>('commitment.json');

  it('names DST_COMMIT', () => expect(file.dst).toBe(DST_COMMIT));

  for (const v of file.vectors)
    it(`recomputes encodeChoices and the commitment for ${JSON.stringify(v.choices)} on ${v.ballotId}`, () => {
      expect(toHex(encodeChoices(v.choices))).toBe(v.encodedChoices);
      expect(toHex(commit(v.ballotId, hex(v.token), v.choices, hex(v.salt)))).toBe(v.commitment);
      expect(checkOpening(v.ballotId, hex(v.token), hex(v.commitment), { choices: v.choices, salt: hex(v.salt) })).toBe(true);
    });

  it('keeps ["ab","c"] and ["a","bc"] apart', () => {
    const a = file.vectors.find((v) => v.choices.join() === 'ab,c')!;
    const b = file.vectors.find((v) => v.choices.join() === 'a,bc')!;
    expect(a.encodedChoices).not.toBe(b.encodedChoices);
  });
});

describe('receipt.json', () => {
  const file = load<{ dst: string; serverKeySeed: string; serverPublicKey: string; vectors: ReceiptVector[] }>('receipt.json');

  it('derives the server public key from its seed', () => {
    expect(file.dst).toBe(DST_RECEIPT);
    expect(toHex(generateServerKey(hex(file.serverKeySeed)).publicKey)).toBe(file.serverPublicKey);
  });

  for (const v of file.vectors)
    it(`recomputes the receipt message and its deterministic Ed25519 signature (${v.note.slice(0, 40)}…)`, () => {
      const msg = receiptMessage(v.ballotId, hex(v.tokenHash), hex(v.commitment));
      expect(toHex(msg)).toBe(v.message);
      expect(toHex(serverSign(hex(file.serverKeySeed), msg))).toBe(v.signature);
      expect(serverVerify(hex(file.serverPublicKey), msg, hex(v.signature))).toBe(true);
      expect(verifyReceipt({ ballotId: v.ballotId, tokenHash: v.tokenHash, commitment: v.commitment, serverKey: file.serverPublicKey, signature: v.signature })).toBe(true);
    });
});

describe('merkle.json', () => {
  const file = load<{ leaves: string[]; leafHashes: string[]; trees: { size: number; root: string; proofs: string[][] }[] }>('merkle.json');

  it('recomputes every leaf hash', () => {
    expect(file.leaves.map((l) => toHex(leafHash(hex(l))))).toEqual(file.leafHashes);
  });

  it('has trees of 0..8 leaves', () => expect(file.trees.map((t) => t.size)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]));

  for (const t of file.trees)
    it(`recomputes the root and every audit path of the ${t.size}-leaf tree`, () => {
      const hashes = file.leafHashes.slice(0, t.size).map(hex);
      expect(toHex(merkleRoot(hashes))).toBe(t.root);
      expect(t.proofs.length).toBe(t.size);
      t.proofs.forEach((proof, i) => {
        expect(inclusionProof(hashes, i).map(toHex)).toEqual(proof);
        expect(verifyInclusion(hashes[i]!, i, t.size, proof.map(hex), hex(t.root))).toBe(true);
      });
    });
});

describe('canonical.json', () => {
  const file = load<{ vectors: { value: CanonicalValue; hex: string }[] }>('canonical.json');
  for (const v of file.vectors)
    it(`canonical(${JSON.stringify(v.value).slice(0, 50)})`, () => {
      expect(toHex(canonical(v.value))).toBe(v.hex);
    });
});

describe('bundle.json', () => {
  const bundle = load<unknown>('bundle.json');
  const inputs = load<{ inputs: BundleVectorInputs; expected: Record<string, unknown> }>('bundle-inputs.json');

  it('verifies: verifyBundle(bundle.json).ok === true', () => {
    const r = verifyBundle(bundle);
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('is rebuilt byte for byte from bundle-inputs.json', () => {
    expect(bundleFromInputs(inputs.inputs).bundle).toEqual(bundle);
  });

  it('matches the expected key, root and tally in bundle-inputs.json', () => {
    const r = verifyBundle(bundle);
    const b = bundle as Record<string, unknown>;
    expect(inputs.expected).toEqual({ ok: true, publicKey: b.publicKey, serverKey: b.serverKey, merkleRoot: b.merkleRoot, tally: r.tally });
  });

  it('is the brief’s shape: decision, 2 items, 5 members, 4 casts, one unopened', () => {
    const b = bundle as { ballot: { type: string; items: unknown[] }; roster: unknown[]; ballots: { opening: unknown }[] };
    expect(b.ballot.type).toBe('decision');
    expect(b.ballot.items).toHaveLength(2);
    expect(b.roster).toHaveLength(5);
    expect(b.ballots).toHaveLength(4);
    expect(b.ballots.filter((x) => x.opening === null)).toHaveLength(1);
  });
});

describe('bundles-invalid.json', () => {
  const file = load<{ vectors: NegativeVector[] }>('bundles-invalid.json');

  it('is what negativeCases() builds today', () => {
    expect(JSON.parse(JSON.stringify(negativeCases()))).toEqual(file.vectors);
  });

  for (const v of file.vectors)
    it(`${v.name}: the verifier reports exactly ${v.expected.join(', ')}`, () => {
      const r = verifyBundle(v.bundle, v.options);
      expect(r.ok).toBe(false);
      expect([...new Set(r.failures.map((x) => x.code))]).toEqual(v.expected);
    });
});

describe('docs/protocol.md Appendix A worked example', () => {
  const doc = new URL('../../docs/protocol.md', import.meta.url);
  it.skipIf(!existsSync(doc))('shows the values of the first token, commitment and receipt vectors', () => {
    const text = readFileSync(doc, 'utf8');
    const t = load<{ vectors: TokenVector[] }>('token.json').vectors[0]!;
    const c = load<{ vectors: CommitmentVector[] }>('commitment.json').vectors[0]!;
    const r = load<{ serverPublicKey: string; vectors: ReceiptVector[] }>('receipt.json');
    expect([t.note, c.note, r.vectors[0]!.note].every((n) => n.startsWith('worked example'))).toBe(true);
    const values = [t.secretKey, t.publicKey, t.M, t.blinded, t.blindSignature, t.signature, t.tokenHash, c.encodedChoices, c.commitment, r.serverPublicKey, r.vectors[0]!.signature];
    for (const v of values) expect(text, `protocol.md should show ${v}`).toContain(v);
  });
});

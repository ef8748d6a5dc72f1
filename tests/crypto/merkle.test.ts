// RFC 6962 Merkle tree (crypto/merkle.ts, protocol §6.1): roots against a naive recursive
// definition written here, every audit path verifies, and any tampering with the proof,
// index, size, leaf or root is caught.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { inclusionProof, leafHash, merkleRoot, nodeHash, toHex, verifyInclusion } from '../../crypto/index.ts';

// ---- naive reference (RFC 6962 §2.1, written from the text) --------------------------------

const H = (...parts: number[][]): Uint8Array => sha256(Uint8Array.from(parts.flat()));
const arr = (b: Uint8Array): number[] => [...b];

/** MTH(D[n]) straight from RFC 6962 §2.1, on raw leaf contents. */
function naiveRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return H();
  if (leaves.length === 1) return H([0x00], arr(leaves[0]!));
  let k = 1;
  while (k * 2 < leaves.length) k *= 2; // largest power of two < n
  return H([0x01], arr(naiveRoot(leaves.slice(0, k))), arr(naiveRoot(leaves.slice(k))));
}

/** Which side the sibling is on at each level, leaf to root ('L': sibling on the left). */
function naiveDirections(index: number, size: number): string {
  if (size <= 1) return '';
  let k = 1;
  while (k * 2 < size) k *= 2;
  return index < k ? naiveDirections(index, k) + 'R' : naiveDirections(index - k, size - k) + 'L';
}

/** n distinct random leaves. */
const leavesArb = (min: number, max: number) =>
  fc.uniqueArray(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: min, maxLength: max, selector: toHex });

function tree(leaves: readonly Uint8Array[]) {
  const hashes = leaves.map(leafHash);
  return { hashes, root: merkleRoot(hashes) };
}

describe('merkleRoot', () => {
  it('of the empty tree is SHA-256("")', () => {
    expect(toHex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('of one leaf is SHA-256(0x00 ‖ leaf), and of two is SHA-256(0x01 ‖ h0 ‖ h1)', () => {
    const [a, b] = [Uint8Array.of(1), Uint8Array.of(2)];
    expect(merkleRoot([leafHash(a)])).toEqual(H([0], [1]));
    expect(merkleRoot([leafHash(a), leafHash(b)])).toEqual(H([1], arr(H([0], [1])), arr(H([0], [2]))));
    expect(nodeHash(leafHash(a), leafHash(b))).toEqual(merkleRoot([leafHash(a), leafHash(b)]));
  });

  it('matches the naive recursive definition for n in 0..64 (property)', () => {
    fc.assert(
      fc.property(leavesArb(0, 64), (leaves) => {
        expect(toHex(tree(leaves).root)).toBe(toHex(naiveRoot(leaves)));
      }),
      { numRuns: 100 },
    );
  });

  it('changes when any leaf changes or leaves are swapped', () => {
    const leaves = Array.from({ length: 7 }, (_, i) => Uint8Array.of(i));
    const { root } = tree(leaves);
    const changed = [...leaves];
    changed[5] = Uint8Array.of(99);
    expect(tree(changed).root).not.toEqual(root);
    const swapped = [...leaves];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(tree(swapped).root).not.toEqual(root);
  });
});

describe('inclusionProof / verifyInclusion', () => {
  it('every audit path verifies, and has the length and shape of the naive tree, for n in 1..64 (property)', () => {
    fc.assert(
      fc.property(leavesArb(1, 64), (leaves) => {
        const { hashes, root } = tree(leaves);
        hashes.forEach((h, i) => {
          const proof = inclusionProof(hashes, i);
          expect(proof.length).toBe(naiveDirections(i, hashes.length).length);
          expect(verifyInclusion(h, i, hashes.length, proof, root)).toBe(true);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('a tampered proof element, a dropped or extra element, another leaf or another root fails (property)', () => {
    fc.assert(
      fc.property(leavesArb(2, 40), fc.nat(), fc.nat(255), (leaves, at, bit) => {
        const { hashes, root } = tree(leaves);
        const n = hashes.length;
        const i = at % n;
        const proof = inclusionProof(hashes, i);
        const j = bit % proof.length;
        const tampered = proof.map((p, k) => (k === j ? Uint8Array.from(p, (x, m) => (m === bit % 32 ? x ^ 1 : x)) : p));
        expect(verifyInclusion(hashes[i]!, i, n, tampered, root)).toBe(false);
        expect(verifyInclusion(hashes[i]!, i, n, proof.slice(1), root)).toBe(false);
        expect(verifyInclusion(hashes[i]!, i, n, proof.slice(0, -1), root)).toBe(false);
        expect(verifyInclusion(hashes[i]!, i, n, [...proof, root], root)).toBe(false);
        expect(verifyInclusion(hashes[(i + 1) % n]!, i, n, proof, root)).toBe(false);
        expect(verifyInclusion(hashes[i]!, i, n, proof, leafHash(Uint8Array.of(bit)))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('another index fails: each leaf has its own position (property)', () => {
    fc.assert(
      fc.property(leavesArb(2, 40), fc.nat(), fc.nat(), (leaves, a, b) => {
        const { hashes, root } = tree(leaves);
        const n = hashes.length;
        const [i, k] = [a % n, b % n];
        fc.pre(i !== k);
        expect(verifyInclusion(hashes[i]!, k, n, inclusionProof(hashes, i), root)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('another size verifies only when it gives the very same hashing path (property)', () => {
    // RFC 9162 proofs do not bind the size by themselves (e.g. index 0 of 3 and of 4 leaves
    // hash alike), so the exact claim is: a wrong size passes iff the sibling sides are identical.
    fc.assert(
      fc.property(leavesArb(1, 40), fc.nat(), fc.integer({ min: 1, max: 80 }), (leaves, at, other) => {
        const { hashes, root } = tree(leaves);
        const n = hashes.length;
        const i = at % n;
        fc.pre(other !== n);
        const same = i < other && naiveDirections(i, other) === naiveDirections(i, n);
        expect(verifyInclusion(hashes[i]!, i, other, inclusionProof(hashes, i), root)).toBe(same);
      }),
      { numRuns: 200 },
    );
  });

  it('size 3 vs 4 for index 0: the known case where the size is not bound by the path', () => {
    expect(naiveDirections(0, 3)).toBe(naiveDirections(0, 4));
    expect(naiveDirections(2, 3)).not.toBe(naiveDirections(2, 4));
  });

  it('refuses out-of-range, negative and fractional indices and sizes without throwing', () => {
    const { hashes, root } = tree([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    const proof = inclusionProof(hashes, 1);
    for (const [i, n] of [[3, 3], [-1, 3], [1.5, 3], [1, 0], [1, NaN], [NaN, 3], [1, Infinity]] as const)
      expect(verifyInclusion(hashes[1]!, i, n, proof, root)).toBe(false);
  });

  it('refuses malformed leaf, path or root bytes without throwing', () => {
    const { hashes, root } = tree([Uint8Array.of(1), Uint8Array.of(2)]);
    const proof = inclusionProof(hashes, 0);
    expect(verifyInclusion(hashes[0]!.slice(1), 0, 2, proof, root)).toBe(false);
    expect(verifyInclusion(hashes[0]!, 0, 2, [proof[0]!.slice(1)], root)).toBe(false);
    expect(verifyInclusion(hashes[0]!, 0, 2, proof, root.slice(1))).toBe(false);
    expect(verifyInclusion(hashes[0]!, 0, 2, [null as unknown as Uint8Array], root)).toBe(false);
    expect(verifyInclusion('x' as unknown as Uint8Array, 0, 2, proof, root)).toBe(false);
  });

  it('a one-leaf tree has an empty path, and a non-empty one fails', () => {
    const { hashes, root } = tree([Uint8Array.of(7)]);
    expect(inclusionProof(hashes, 0)).toEqual([]);
    expect(verifyInclusion(hashes[0]!, 0, 1, [], root)).toBe(true);
    expect(verifyInclusion(hashes[0]!, 0, 1, [root], root)).toBe(false);
  });

  it('inclusionProof throws RangeError for an index outside the tree', () => {
    const { hashes } = tree([Uint8Array.of(1)]);
    expect(() => inclusionProof(hashes, 1)).toThrow(RangeError);
    expect(() => inclusionProof(hashes, -1)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
  });
});

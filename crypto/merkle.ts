/**
 * @module crypto/merkle
 * Merkle tree over accepted casts (protocol §6.1), exactly as RFC 6962 §2.1 (hash
 * SHA-256, leaf prefix 0x00, node prefix 0x01, split at the largest power of two below n),
 * with audit paths (RFC 6962 §2.1.1) checked by the algorithm of RFC 9162 §2.1.3.2.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, concatBytes, equalBytes } from './bytes.ts';

/** Length of every tree hash. */
export const HASH_BYTES = 32;

/** MTH of a one-leaf tree: SHA-256(0x00 ‖ leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(concatBytes(Uint8Array.of(0x00), abytes(leaf, undefined, 'leaf')));
}

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(Uint8Array.of(0x01), left, right));
}

/** Largest power of two strictly less than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(hashes: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (n === 1) return hashes[lo]!;
  const k = split(n);
  return nodeHash(mth(hashes, lo, lo + k), mth(hashes, lo + k, hi));
}

/** Merkle tree hash of a list of leaf hashes; the empty tree hashes to SHA-256(""). */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0));
  return mth(leafHashes, 0, leafHashes.length);
}

/** Audit path for leaf `index` in a tree of the given leaf hashes (RFC 6962 §2.1.1 PATH). */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) throw new RangeError('leaf index out of range');
  const path: Uint8Array[] = [];
  const walk = (lo: number, hi: number, m: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(lo, lo + k, m);
      path.push(mth(leafHashes, lo + k, hi));
    } else {
      walk(lo + k, hi, m - k);
      path.push(mth(leafHashes, lo, lo + k));
    }
  };
  walk(0, leafHashes.length, index);
  return path;
}

/**
 * RFC 9162 §2.1.3.2: does `path` prove that `leaf` (a leaf hash) is at `index` in the tree
 * of `size` leaves with root `root`? Never throws on bad data.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  try {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let r = abytes(leaf, HASH_BYTES, 'leaf');
    for (const p of path) {
      abytes(p, HASH_BYTES, 'path element');
      if (sn === 0) return false;
      if ((fn & 1) === 1 || fn === sn) {
        r = nodeHash(p, r);
        if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn === 0 && equalBytes(r, abytes(root, HASH_BYTES, 'root'));
  } catch {
    return false;
  }
}

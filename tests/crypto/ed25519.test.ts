// Strict Ed25519 (crypto/ed25519.ts, protocol §6.2): honest signatures verify; a signature whose
// R has a torsion component (accepted by the cofactored check of noble's zip215:false, refused
// by OpenSSL's cofactorless one) is refused; so are small-order keys, S ≥ L, non-canonical
// encodings and any bit flip.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { ed25519KeyValid, ed25519PublicKey, ed25519Sign, ed25519Verify } from '../../crypto/index.ts';

const P = ed25519.Point;
const L = P.Fn.ORDER;
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const msg = new TextEncoder().encode('piaojue receipt');
/** A point of order 8 (RFC 8032 torsion). */
const T = P.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

/** Sign with an explicit scalar a and nonce r, with R = rB + extra (to build malformed signatures). */
function rawSign(a: bigint, r: bigint, extra = P.ZERO): { key: Uint8Array; sig: Uint8Array } {
  const A = P.BASE.multiply(a).toBytes();
  const R = P.BASE.multiply(r).add(extra).toBytes();
  const k = le(sha512(concatBytes(R, A, msg))) % L;
  return { key: A, sig: concatBytes(R, toLe((r + k * a) % L)) };
}

describe('strict Ed25519', () => {
  it('verifies RFC 8032 signatures and refuses any bit flip (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(511), (seed, bit) => {
        const sig = ed25519Sign(seed, msg);
        const key = ed25519PublicKey(seed);
        expect(ed25519Verify(key, msg, sig)).toBe(true);
        const bad = sig.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(ed25519Verify(key, msg, bad)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
  it('refuses a signature whose R has a torsion component, which the cofactored check accepts', () => {
    const { key, sig } = rawSign(123456789n, 987654321n, T);
    expect(ed25519.verify(sig, msg, key, { zip215: false })).toBe(true); // the library flag would accept it
    expect(ed25519Verify(key, msg, sig)).toBe(false);
    const honest = rawSign(123456789n, 987654321n);
    expect(ed25519Verify(honest.key, msg, honest.sig)).toBe(true);
  });
  it('refuses small-order keys', () => {
    const small = T.toBytes();
    expect(ed25519KeyValid(small)).toBe(false);
    expect(ed25519Verify(small, msg, concatBytes(P.ZERO.toBytes(), toLe(0n)))).toBe(false);
    expect(ed25519KeyValid(P.ZERO.toBytes())).toBe(false);
  });
  it('refuses S ≥ L (malleability) and a non-canonical R', () => {
    const { key, sig } = rawSign(5n, 7n);
    const S = le(sig.subarray(32));
    expect(ed25519Verify(key, msg, concatBytes(sig.subarray(0, 32), toLe(S + L)))).toBe(false);
    // y = p + 1 is the non-canonical encoding of y = 1 (the identity).
    const yPlus = toLe(2n ** 255n - 19n + 1n);
    expect(ed25519Verify(key, msg, concatBytes(yPlus, sig.subarray(32)))).toBe(false);
  });
  it('refuses malformed lengths without throwing', () => {
    expect(ed25519Verify(new Uint8Array(31), msg, new Uint8Array(64))).toBe(false);
    expect(ed25519Verify(new Uint8Array(32), msg, new Uint8Array(63))).toBe(false);
  });
});

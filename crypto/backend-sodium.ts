/**
 * @module crypto/backend-sodium
 * The fast implementation of crypto/backend's `GroupBackend`: libsodium's ristretto255
 * (ISC licence) compiled to WebAssembly, the npm package libsodium-wrappers-sumo (the "sumo"
 * build is the one with the ristretto255 functions), whose JavaScript embeds the module.
 * RFC 9496 decoding, addition and multiplication are libsodium's own; this file only maps the
 * protocol's conventions onto them:
 *
 * - exponents are 32-byte little-endian in [0, ℓ), libsodium's scalar format;
 * - the identity is the all-zero encoding: libsodium decodes it and adds it, but refuses to
 *   return it from a multiplication, so a zero multiplier, an identity operand or an identity
 *   result is the all-zero encoding here;
 * - `isElement` refuses the identity, as protocol §4.6 does for every element on the wire.
 */
import sodium from 'libsodium-wrappers-sumo';
import type { GroupBackend } from './backend.ts';
import { ELL } from './group.ts';

const ZERO = new Uint8Array(32);

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function exponent(k: bigint): Uint8Array {
  if (typeof k !== 'bigint' || k < 0n || k >= ELL) throw new RangeError('exponent must be in [0, ℓ)');
  const out = new Uint8Array(32);
  for (let i = 0, v = k; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

let loaded: GroupBackend | undefined;

/** Initialise libsodium (its WebAssembly instance); once per thread. */
export async function loadSodiumBackend(): Promise<GroupBackend> {
  if (loaded) return loaded;
  await sodium.ready;
  if (typeof sodium.crypto_scalarmult_ristretto255 !== 'function') throw new Error('libsodium without ristretto255');
  const backend: GroupBackend = Object.freeze({
    name: 'libsodium' as const,
    isElement: (bytes: Uint8Array) =>
      bytes instanceof Uint8Array && bytes.length === 32 && !isZero(bytes) && sodium.crypto_core_ristretto255_is_valid_point(bytes),
    add: (a: Uint8Array, b: Uint8Array) => sodium.crypto_core_ristretto255_add(a, b),
    sub: (a: Uint8Array, b: Uint8Array) => sodium.crypto_core_ristretto255_sub(a, b),
    mul(p: Uint8Array, k: bigint): Uint8Array {
      if (k === 0n || isZero(p)) return ZERO.slice();
      try {
        return sodium.crypto_scalarmult_ristretto255(exponent(k), p);
      } catch {
        // libsodium refuses an operand that does not decode, and an identity result; with a
        // valid operand and 0 < k < ℓ (a prime-order group) the result is never the identity.
        if (!sodium.crypto_core_ristretto255_is_valid_point(p)) throw new RangeError('not a ristretto255 element');
        return ZERO.slice();
      }
    },
    mulBase: (k: bigint) => (k === 0n ? ZERO.slice() : sodium.crypto_scalarmult_ristretto255_base(exponent(k))),
  });
  loaded = backend;
  return backend;
}

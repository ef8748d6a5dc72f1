/**
 * @module crypto/encoding
 * Canonical byte encodings (protocol §3). Every byte string that is hashed or signed is
 * built here and nowhere else, so it has exactly one encoding:
 *  - `field(b)`    = u32be(len(b)) ‖ b — length-prefixed, so concatenations cannot collide;
 *  - `message(dst, ...fields)` = field(utf8(dst)) ‖ field(f1) ‖ … ‖ field(fn);
 *  - `canonical(v)` = a tagged, deterministic encoding of JSON-like values (no floats,
 *    object keys sorted bytewise), used for the bundle signature.
 * Never JSON.stringify an object as the thing that is hashed or signed.
 */
import { abytes, concatBytes, compareBytes, joinBytes, utf8 } from './bytes.ts';
import { refuse } from './errors.ts';

const MAX_U32 = 0xffffffff;

/** Big-endian u32 of a non-negative safe integer below 2^32. */
export function u32be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_U32) refuse('BAD_VALUE', 'u32 out of range');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** `u32be(len(bytes)) ‖ bytes` (protocol §3.1). */
export function field(bytes: Uint8Array): Uint8Array {
  abytes(bytes, undefined, 'field');
  return concatBytes(u32be(bytes.length), bytes);
}

/** `field(f1) ‖ … ‖ field(fn)` (protocol §3.1). */
export function fields(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts.map(field));
}

/** A domain-separated message: the DST as the first field, then each field length-prefixed (protocol §3.1). */
export function message(dst: string, ...parts: Uint8Array[]): Uint8Array {
  return fields(utf8(dst), ...parts);
}

/** The value kinds `canonical` accepts: JSON without floats or undefined. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

// Tags of the canonical encoding (protocol §3.2); one ASCII byte each.
const TAG = { null: 0x6e, true: 0x74, false: 0x66, int: 0x69, string: 0x73, array: 0x61, object: 0x6f } as const;

/**
 * Deterministic encoding of a JSON-like value (protocol §3.2). Integers must be safe
 * integers (encoded as 8-byte two's complement big-endian); strings must be well-formed
 * Unicode; object keys are sorted by their UTF-8 bytes; `undefined` members are refused.
 * @throws CryptoInputError BAD_VALUE for floats, unsafe integers, undefined, or other types.
 */
export function canonical(value: CanonicalValue): Uint8Array {
  const parts: Uint8Array[] = [];
  encodeInto(value, parts, 0);
  return joinBytes(parts);
}

function encodeInto(v: unknown, out: Uint8Array[], depth: number): void {
  if (depth > 64) refuse('BAD_VALUE', 'value nested too deeply');
  if (v === null) return void out.push(Uint8Array.of(TAG.null));
  if (v === true) return void out.push(Uint8Array.of(TAG.true));
  if (v === false) return void out.push(Uint8Array.of(TAG.false));
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) refuse('BAD_VALUE', 'only safe integers can be encoded');
    const b = new Uint8Array(9);
    b[0] = TAG.int;
    new DataView(b.buffer).setBigInt64(1, BigInt(v), false);
    return void out.push(b);
  }
  if (typeof v === 'string') return void out.push(Uint8Array.of(TAG.string), field(utf8(v)));
  if (Array.isArray(v)) {
    out.push(Uint8Array.of(TAG.array), u32be(v.length));
    for (const item of v) encodeInto(item, out, depth + 1);
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, val]) => {
      if (val === undefined) refuse('BAD_VALUE', `member ${k} is undefined`);
      return [utf8(k), val] as const;
    });
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    out.push(Uint8Array.of(TAG.object), u32be(entries.length));
    for (const [k, val] of entries) {
      out.push(field(k));
      encodeInto(val, out, depth + 1);
    }
    return;
  }
  refuse('BAD_VALUE', `cannot encode a value of type ${typeof v}`);
}

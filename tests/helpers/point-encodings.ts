// Raw BLS12-381 point encodings for tests of the §4.2 checks: any x, any flags, so that the
// non-canonical, off-curve and out-of-subgroup classes can be written down.

/** Big-endian bytes of x, `len` long (x may exceed the field, to build non-canonical encodings). */
export function be(x: bigint, len = 48): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(len * 2, '0'), 'hex'));
}

/** Compressed G1 encoding of x with flag bits. */
export function g1Enc(x: bigint, flags = 0x80): Uint8Array {
  const b = be(x);
  b[0]! |= flags;
  return b;
}

/** Compressed G2 encoding of x = c0 + c1·u (wire order c1 ‖ c0) with flag bits. */
export function g2Enc(c0: bigint, c1: bigint, flags = 0x80): Uint8Array {
  const b = new Uint8Array(96);
  b.set(be(c1), 0);
  b.set(be(c0), 48);
  b[0]! |= flags;
  return b;
}

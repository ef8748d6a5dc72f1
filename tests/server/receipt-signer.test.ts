// The crypto workers sign receipts with Node's OpenSSL Ed25519 (server/crypto-worker.ts):
// the same bytes as the project's own Ed25519 (crypto/ed25519.ts, @noble/curves) for every key
// and message, since RFC 8032 signatures are deterministic; and the strict verifier accepts them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519PublicKey, ed25519Sign, ed25519Verify, signReceipt, toHex, verifyReceipt } from '../../crypto/index.ts';
import { opensslSign } from '../../server/crypto-worker.ts';

describe('receipt signatures with OpenSSL', () => {
  it('are byte-identical to crypto/ed25519.ts for random keys and messages (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, msg) => {
        const sig = opensslSign(seed, msg);
        expect(toHex(sig)).toBe(toHex(ed25519Sign(seed, msg)));
        expect(ed25519Verify(ed25519PublicKey(seed), msg, sig)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
  it('a receipt signed with it is the receipt signed with the reference, and verifies', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const body = {
      ballotId: 'b1', tokenHash: 'aa'.repeat(32), sigma: 'bb'.repeat(48), commitment: 'cc'.repeat(32),
      publicKey: 'dd'.repeat(96), electionKey: 'ee'.repeat(32),
    };
    const pub = toHex(ed25519PublicKey(seed));
    const fast = signReceipt(seed, pub, body, opensslSign);
    expect(fast).toEqual(signReceipt(seed, pub, body));
    expect(verifyReceipt(fast)).toBe(true);
  });
});

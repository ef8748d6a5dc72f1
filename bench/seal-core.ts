/**
 * @module bench/seal-core
 * The sealing measurement shared by Node and the chromium worker (bench/seal.ts): warm-up,
 * `n` seals of a 3-item ballot (3 groups × 3 entries, one choice each) timed call by call,
 * one result checked with `verifySealedBallot`, then this runtime's ristretto255 scalar
 * multiplication rate. Imports only the crypto core, so it bundles for the browser.
 */
import { RP, encodeElement, randomBytes, randomExponent, sealBallot, tokenHash, verifySealedBallot } from '../crypto/index.ts';

export function measureSeal(n: number): { times: number[]; mulPerS: number; ok: boolean } {
  const electionKey = encodeElement(RP.BASE.multiply(randomExponent()));
  const shape = { groups: [0, 1, 2].map(() => ({ size: 3, min: 1, max: 1 })) };
  const selections = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const ctx = () => ({ ballotId: 'bbench', electionKey, tokenHash: tokenHash('bbench', randomBytes(32)) });
  for (let i = 0; i < 3; i++) sealBallot(ctx(), shape, selections); // warm-up (JIT, base tables)
  const times: number[] = [];
  let last: { c: ReturnType<typeof ctx>; bytes: Uint8Array } | null = null;
  for (let i = 0; i < n; i++) {
    const c = ctx();
    const t0 = performance.now();
    const bytes = sealBallot(c, shape, selections);
    times.push(performance.now() - t0);
    last = { c, bytes };
  }
  const ok = last !== null && verifySealedBallot(last.c, shape, last.bytes);
  const P = RP.BASE.multiply(randomExponent());
  const xs = Array.from({ length: 32 }, () => randomExponent());
  P.multiply(xs[0]!);
  let k = 0;
  const t0 = performance.now();
  while (k < 50 || performance.now() - t0 < 700) P.multiply(xs[k++ % 32]!);
  return { times, mulPerS: (k * 1000) / (performance.now() - t0), ok };
}

import { useBackend, RP, encodeElement, tokenHash, sealBallot, verifySealedBallots, randomExponent } from '../crypto/index.ts';
import { randomBytes } from '@noble/hashes/utils.js';
import { SHAPE_3x3, SELECTIONS_3x3 } from '../bench/baselines.ts';
await useBackend('fast');
const electionKey = encodeElement(RP.BASE.multiply(randomExponent()));
const sealed = Array.from({ length: 16 }, () => {
  const ctx = { ballotId: 'b1', electionKey, tokenHash: tokenHash('b1', randomBytes(32)) };
  return { ctx, bytes: sealBallot(ctx, SHAPE_3x3, SELECTIONS_3x3) };
});
const t0 = performance.now(); let n = 0;
while (performance.now() - t0 < 8000) { if (verifySealedBallots(SHAPE_3x3, sealed).length) throw 1; n += 16; }
console.log('per ballot ms', (performance.now() - t0) / n);

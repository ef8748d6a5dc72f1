/**
 * @module scripts/make-vectors
 * Writes the piaojue/2 test vectors to docs/vectors/ (`npm run vectors`, protocol Appendix A):
 * the ristretto255 boundary, Shamir arithmetic, blind tokens, threshold issuance, the key
 * ceremony, an issuance log, sealed ballots, threshold decryption, receipts, the cast MAC and
 * leaf, Ed25519, the strict JSON text, the canonical encoding, the Merkle tree, and one small
 * signed audit bundle with one tampered copy per verifier check. The content is built by
 * tests/helpers/vector-files.ts from fixed labels and seeds, so a rerun writes byte-identical
 * files; tests/crypto/vectors.test.ts checks the files against the builders and recomputes every
 * value. Files of piaojue/1 that no longer exist (commitments, openings) are removed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { vectorFiles, type Rfc9496 } from '../tests/helpers/vector-files.ts';

const OUT = new URL('../docs/vectors/', import.meta.url);
const RFC9496 = new URL('../tests/vectors/rfc9496.json', import.meta.url);
/** Vector files of piaojue/1 with no piaojue/2 counterpart. */
const RETIRED = ['commitment.json'];

function main(): void {
  mkdirSync(OUT, { recursive: true });
  const files = vectorFiles(JSON.parse(readFileSync(RFC9496, 'utf8')) as Rfc9496);
  for (const [name, value] of Object.entries(files)) writeFileSync(new URL(name, OUT), JSON.stringify(value, null, 2) + '\n');
  for (const name of RETIRED) if (existsSync(new URL(name, OUT))) rmSync(new URL(name, OUT));
  process.stdout.write(`wrote ${Object.keys(files).length} files to docs/vectors/\n`);
}

main();

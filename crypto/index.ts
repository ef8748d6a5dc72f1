/**
 * @module crypto
 * The pure crypto core of piaojue: blind BLS tokens and their threshold issuance, the key
 * ceremony, issuance logs, sealed ballots and threshold decryption, receipts, the Merkle
 * tree, counting rules, the tally, the audit bundle and its verifier. No I/O, no Node
 * built-ins; the same code runs in the server, the tablet and the offline verifier.
 */
export * from './errors.ts';
export * from './bytes.ts';
export * from './encoding.ts';
export * from './dst.ts';
export * from './ids.ts';
export * from './points.ts';
export * from './backend.ts';
export * from './token.ts';
export * from './receipt.ts';
export * from './merkle.ts';
export * from './rule.ts';
export * from './kinds/index.ts';
export * from './tally.ts';
export * from './bundle.ts';
export * from './assemble.ts';
export * from './verify.ts';
export * from './server-key.ts';
export * from './group.ts';
export * from './shamir.ts';
export * from './sealed.ts';
export * from './decryption.ts';
export * from './threshold.ts';
export * from './ceremony.ts';
export * from './issuance-log.ts';
export * from './device.ts';
export * from './voter.ts';
export * from './json.ts';
export * from './ed25519.ts';

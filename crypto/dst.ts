/**
 * @module crypto/dst
 * Every domain-separation tag of protocol version 2 (protocol §2). Each names the project,
 * the version and the purpose, so no hash or signature of one purpose can be replayed
 * as another. Changing any of these is a protocol version change.
 */

/** Protocol version of sealed-ballot bundles (protocol §7). */
export const PROTOCOL_VERSION = 'piaojue/2';
/** RFC 9380 hash-to-G1 DST for v2 token messages (protocol §4.3). */
export const DST_TOKEN = 'PIAOJUE-V2-TOKEN-BLS12381G1_XMD:SHA-256_SSWU_RO_';
/** Token hash, v2 (protocol §4.4). */
export const DST_TOKEN_HASH = 'PIAOJUE-V2-TOKEN-HASH';
/** Fiat–Shamir challenge of an interval (0/1 and group-sum) proof of a sealed ballot (protocol §5.3). */
export const DST_BALLOT_PROOF = 'PIAOJUE-V2-BALLOT-PROOF';
/** Fiat–Shamir challenge of a packed group's disjunctive proof of a sealed ballot (protocol §5.3). */
export const DST_BALLOT_PACKED_PROOF = 'PIAOJUE-V2-BALLOT-PACKED-PROOF';
/** Commitment hash c = H(sealed ballot) (protocol §5.4). */
export const DST_BALLOT_HASH = 'PIAOJUE-V2-BALLOT-HASH';
/** Fiat–Shamir challenge of a decryption share's Chaum–Pedersen proof (protocol §9.2). */
export const DST_DECRYPTION_PROOF = 'PIAOJUE-V2-DECRYPTION-PROOF';
/** Hash commitment to a dealer's polynomial commitments, ceremony round 1 (protocol §4.8). */
export const DST_CEREMONY_COMMIT = 'PIAOJUE-V2-CEREMONY-COMMIT';
/** Ed25519 signatures of scrutineer devices on ceremony messages (protocol §4.8). */
export const DST_CEREMONY_SIGNATURE = 'PIAOJUE-V2-CEREMONY-SIGNATURE';
/** HKDF info of the device-to-device share encryption (protocol §4.8). */
export const DST_SHARE_KEY = 'PIAOJUE-V2-SHARE-KEY';
/** Fiat–Shamir challenge of a complaint's DLEQ proof (protocol §4.8). */
export const DST_COMPLAINT_PROOF = 'PIAOJUE-V2-COMPLAINT-PROOF';
/** Ceremony transcript hash, acknowledged by every device (protocol §4.8). */
export const DST_TRANSCRIPT = 'PIAOJUE-V2-CEREMONY-TRANSCRIPT';
/** Short fingerprint of the ceremony shown in the room (protocol §4.9). */
export const DST_FINGERPRINT = 'PIAOJUE-V2-FINGERPRINT';
/** Hash chain of a scrutineer device's issuance log (protocol §4.10). */
export const DST_ISSUANCE_LOG = 'PIAOJUE-V2-ISSUANCE-LOG';
/** Ed25519 signature of a device on the head of its issuance log (protocol §4.10). */
export const DST_ISSUANCE_LOG_SIGNATURE = 'PIAOJUE-V2-ISSUANCE-LOG-SIGNATURE';
/** Cast receipt, v2: binds token hash, σ, commitment hash and both ballot keys (protocol §6.2). */
export const DST_RECEIPT = 'PIAOJUE-V2-RECEIPT';
/** Merkle leaf, v2 (protocol §6.1). */
export const DST_LEAF = 'PIAOJUE-V2-LEAF';
/** Audit bundle signature, v2 (protocol §7.2). */
export const DST_BUNDLE = 'PIAOJUE-V2-BUNDLE';
/** Hash naming a published bundle, by which the next round refers to it (protocol §7.6). */
export const DST_BUNDLE_ID = 'PIAOJUE-V2-BUNDLE-ID';
/** Message tag of a cast's HMAC under the per-ballot cast key handed to issued tablets (protocol §6.3). */
export const DST_CAST_MAC = 'PIAOJUE-V2-CAST-MAC';
/** Seeded device keys and polynomials, for test vectors only (protocol Appendix A). */
export const DST_TEST_SEED = 'PIAOJUE-V2-TEST-SEED';
/** Seeded single-key token keys, for tests and benchmarks only (not part of the protocol: ballot keys come from the ceremony). */
export const DST_KEYGEN = 'PIAOJUE-V2-TEST-BALLOT-KEY';

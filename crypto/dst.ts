/**
 * @module crypto/dst
 * Every domain-separation tag of protocol version 1 (protocol §2). Each names the project,
 * the version and the purpose, so no hash or signature of one purpose can be replayed
 * as another. Changing any of these is a protocol version change.
 */

/** Protocol version written into every bundle (protocol §7). */
export const PROTOCOL_VERSION = 'piaojue/1';

/** RFC 9380 hash-to-G1 DST for token messages; suite BLS12381G1_XMD:SHA-256_SSWU_RO_ (protocol §4.3). */
export const DST_TOKEN = 'PIAOJUE-V1-TOKEN-BLS12381G1_XMD:SHA-256_SSWU_RO_';
/** Commitment to a ballot's choices (protocol §5). */
export const DST_COMMIT = 'PIAOJUE-V1-COMMIT';
/** Token hash: the anonymous key of a cast ballot (protocol §4.4). */
export const DST_TOKEN_HASH = 'PIAOJUE-V1-TOKEN-HASH';
/** Receipt signed by the server for an accepted cast (protocol §6.2). */
export const DST_RECEIPT = 'PIAOJUE-V1-RECEIPT';
/** Merkle leaf content for an accepted cast (protocol §6.1). */
export const DST_LEAF = 'PIAOJUE-V1-LEAF';
/** Audit bundle signature (protocol §7.2). */
export const DST_BUNDLE = 'PIAOJUE-V1-BUNDLE';
/** Ballot key generation from a seed, for test vectors only (protocol §4.1). */
export const DST_KEYGEN = 'PIAOJUE-V1-BALLOT-KEY';

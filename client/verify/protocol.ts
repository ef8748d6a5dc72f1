/**
 * @module client/verify/protocol
 * Messages between the verifier page and its Web Worker (protocol `piaojue/2`). The worker
 * keeps the parsed bundle, so a receipt check sends only the receipt; it sends back a
 * summary of the bundle, never the whole list of casts.
 */
import type { BallotDefinition, Failure, ReceiptCheck, Tally } from '../../crypto/index.ts';

export type ToWorker =
  | { readonly kind: 'verify'; readonly text: string; readonly serverKey?: string }
  | { readonly kind: 'receipt'; readonly receipt: unknown };

/** What the page shows of a bundle. */
export type BundleSummary = {
  readonly ballot: BallotDefinition;
  readonly serverKey: string;
  readonly merkleRoot: string;
  readonly casts: number;
  readonly claimed: Tally;
  /** The scrutineers of the key ceremony (device order) and how many are needed. */
  readonly scrutineers: readonly string[];
  readonly t: number;
  /** Devices whose decryption share is in the bundle. */
  readonly decrypted: readonly number[];
};

export type FromWorker =
  | { readonly kind: 'progress'; readonly done: number; readonly total: number }
  | {
      readonly kind: 'result';
      readonly ok: boolean;
      readonly failures: readonly Failure[];
      readonly tally: Tally | null;
      readonly summary: BundleSummary | null;
      /** The key ceremony's fingerprint (系统校验码), when the ceremony checks. */
      readonly fingerprint: string | null;
      readonly ms: number;
    }
  | { readonly kind: 'receipt'; readonly check: ReceiptCheck | { readonly status: 'no-bundle' } };

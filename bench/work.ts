/**
 * @module bench/work
 * What the bench's worker threads (bench/pool.ts) do: the tablets' and devices' crypto that
 * the bench needs but does not time — blinding tokens, a device engine signing a batch of
 * issuance requests, combining partials and sealing casts with the voter engine
 * (crypto/voter.ts `prepareCast`), and checking receipts. Only the engines' public functions
 * are used, never the byte layout of a sealed ballot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  Fr, combinePartials, decodeG1, decodeScalar, finishIssuance, fromHex, prepareCast, receiptMatches, signRequests,
  startIssuance,
  type BallotKeys, type BallotShape, type BlindingState, type DeviceState, type IssuanceRequest, type PreparedCast,
} from '../crypto/index.ts';

export type Op = 'blind' | 'sign' | 'casts' | 'receipts';

/** A tablet's state between its issue request and its cast. */
export type TabletIssued = {
  readonly st: BlindingState;
  readonly partials: readonly { index: number; partial: string }[];
  readonly castKey: string;
  readonly selections: readonly (readonly number[])[];
};

/**
 * σ from t partials. `check`: the voter engine's `finishIssuance`, which verifies σ with a
 * pairing (25 ms); otherwise combine and unblind only — the server checks every σ at the
 * cast, and a bad one would fail the bench there.
 */
function sigmaOf(it: TabletIssued, keys: BallotKeys, check: boolean): Uint8Array {
  if (check) return finishIssuance(it.st, it.partials, keys);
  const parts = it.partials.slice(0, keys.t).map((p) => ({ index: p.index, partial: fromHex(p.partial, 48, 'partial') }));
  const signed = decodeG1(combinePartials(parts), 'combined');
  return signed.multiply(Fr.inv(decodeScalar(it.st.r, 'r'))).toBytes(true);
}

export function run(op: Op, a: Record<string, any>): unknown {
  switch (op) {
    case 'blind':
      return (a.items as unknown[]).map(() => startIssuance(a.ballotId as string));
    case 'sign': {
      const r = signRequests(a.state as DeviceState, a.ballotId as string, a.requests as IssuanceRequest[]);
      return { state: r.state, partials: r.partials, log: r.log, refused: r.refused.length };
    }
    case 'casts': {
      const keys = a.keys as BallotKeys;
      return (a.items as TabletIssued[]).map((it): PreparedCast => {
        const sigma = sigmaOf(it, keys, a.checkSigma === true);
        return prepareCast(a.ballotId, keys, a.shape as BallotShape, it.selections, it.st.token, sigma, fromHex(it.castKey, 32, 'castKey'));
      });
    }
    case 'receipts':
      return (a.items as { receipt: unknown; expect: PreparedCast['expect'] }[]).map((x, i) => (receiptMatches(x.receipt, x.expect) ? -1 : i)).filter((i) => i >= 0);
  }
}

if (parentPort && (workerData as { role?: string } | null)?.role === 'bench-work') {
  const port = parentPort;
  port.on('message', (m: { id: number; op: Op; args: Record<string, unknown> }) => {
    try {
      port.postMessage({ id: m.id, result: run(m.op, m.args) });
    } catch (e) {
      port.postMessage({ id: m.id, error: String((e as Error)?.stack ?? e) });
    }
  });
}

/**
 * @module tests/helpers/packing
 * The packing rules of protocol §5.1, written from the spec (not from crypto/sealed.ts), for the
 * tests and vectors to check the implementation against: which groups are packed, what a packed
 * group's selection encrypts, and every valid selection of a group.
 */
import type { BallotGroup, BallotShape } from '../../crypto/sealed.ts';

/** The packing base B = 2^17, written out (protocol §5.1). */
export const B = 131_072;

/** Is a group packed: single-choice (max = 1) with size − min ≤ 2 digits. */
export const specPacked = (g: BallotGroup): boolean => g.max === 1 && g.size - g.min <= 2;

/** The messages of a packed group of D digits: 0, B^0, …, B^(D−1). */
export const specValues = (d: number): number[] => [0, ...Array.from({ length: d }, (_, i) => B ** i)];

/** The message a packed group's selection encrypts: min 1: entry 0 ↦ 0, entry j ↦ B^(j−1); min 0: none ↦ 0, entry j ↦ B^j. */
export function specMessage(g: BallotGroup, sel: readonly number[]): number {
  const j = sel.indexOf(1);
  if (g.min === 1) return j === 0 ? 0 : B ** (j - 1);
  return j < 0 ? 0 : B ** j;
}

/** What each sum of one ballot of `shape` encrypts, in sum order: a packed group's message, or each entry's 0/1. */
export const sumMessages = (shape: BallotShape, vote: readonly (readonly number[])[]): number[] =>
  shape.groups.flatMap((g, gi) => (specPacked(g) ? [specMessage(g, vote[gi]!)] : [...vote[gi]!]));

/** Every valid selection of a group: the 0/1 vectors whose sum lies in [min, max]. */
export function selectionsOf(g: BallotGroup): number[][] {
  const out: number[][] = [];
  for (let bits = 0; bits < 2 ** g.size; bits++) {
    const sel = Array.from({ length: g.size }, (_, i) => (bits >> i) & 1);
    const n = sel.reduce((a, b) => a + b, 0);
    if (n >= g.min && n <= g.max) out.push(sel);
  }
  return out;
}

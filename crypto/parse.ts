/**
 * @module crypto/parse
 * Strict parsing helpers for JSON from outside (bundles, ceremony records, HTTP bodies):
 * each checks one value's type, shape and range and returns it typed, or throws a
 * CryptoInputError with a stable code and the value's path (protocol §7.1).
 */
import { fromHex, isWellFormed } from './bytes.ts';
import { refuse } from './errors.ts';

/** Size limits every parser enforces (protocol §7.3). */
export const LIMITS = Object.freeze({ text: 200, roster: 20_000, ballots: 100_000 });

export type Obj = Record<string, unknown>;

/** An object with exactly `keys` as members (BAD_TYPE if not an object, BAD_VALUE for another member set). */
export function obj(v: unknown, keys: readonly string[], path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) refuse('BAD_TYPE', `${path} must be an object`);
  const have = Object.keys(v).sort().join();
  const want = [...keys].sort().join();
  if (have !== want) refuse('BAD_VALUE', `${path} must have exactly the fields ${want}`);
  return v as Obj;
}

/** An array of at most `max` entries. */
export function arr(v: unknown, max: number, path: string): unknown[] {
  if (!Array.isArray(v)) refuse('BAD_TYPE', `${path} must be an array`);
  if (v.length > max) refuse('BAD_LENGTH', `${path} has more than ${max} entries`);
  return v;
}

/** Free text: 1–200 UTF-16 units, well-formed. */
export function text(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.text || !isWellFormed(v))
    refuse('BAD_VALUE', `${path} must be 1–${LIMITS.text} characters of text`);
  return v;
}

/** A non-negative safe integer. */
export function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) refuse('BAD_VALUE', `${path} must be a non-negative integer`);
  return v;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') refuse('BAD_TYPE', `${path} must be a boolean`);
  return v;
}

export function oneOf<T extends string>(v: unknown, set: readonly T[], path: string): T {
  if (!set.includes(v as T)) refuse('BAD_VALUE', `${path} must be one of ${set.join(', ')}`);
  return v as T;
}

/** Lowercase hex of exactly `len` bytes, returned as the string. */
export function hex(v: unknown, len: number, path: string): string {
  fromHex(v, len, path);
  return v as string;
}

export function unique(values: readonly (string | number)[], path: string): void {
  if (new Set(values).size !== values.length) refuse('BAD_VALUE', `${path} has duplicates`);
}

/**
 * @module server/validate
 * Guards for request bodies: each takes an unknown value and returns it typed, or throws
 * `ApiError('BAD_REQUEST')` naming the field. Objects must have exactly the allowed keys,
 * so an unknown field is refused rather than silently ignored.
 */
import { CryptoInputError, fromHex, isWellFormed } from '../crypto/index.ts';
import { ApiError } from './errors.ts';

type Obj = Record<string, unknown>;

/** `v` is a plain object whose keys are all in required ∪ optional and include every required key. */
export function object(v: unknown, required: readonly string[], optional: readonly string[] = [], name = 'body'): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('BAD_REQUEST', `${name} must be an object`);
  for (const k of Object.keys(v)) if (!required.includes(k) && !optional.includes(k)) throw new ApiError('BAD_REQUEST', `unknown field ${name}.${k}`);
  for (const k of required) if (!(k in v)) throw new ApiError('BAD_REQUEST', `missing field ${name}.${k}`);
  return v as Obj;
}

/** A well-formed string of 1..max characters after trimming. */
export function text(v: unknown, name: string, max = 200): string {
  if (typeof v !== 'string' || !isWellFormed(v)) throw new ApiError('BAD_REQUEST', `${name} must be text`);
  const t = v.trim();
  if (t.length === 0 || t.length > max) throw new ApiError('BAD_REQUEST', `${name} must be 1–${max} characters`);
  return t;
}

/** An array of at most `max` entries. */
export function list(v: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw new ApiError('BAD_REQUEST', `${name} must be an array`);
  if (v.length > max) throw new ApiError('BAD_REQUEST', `${name} has more than ${max} entries`);
  return v;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(v: unknown, set: readonly T[], name: string): T {
  if (!set.includes(v as T)) throw new ApiError('BAD_REQUEST', `${name} must be one of ${set.join(', ')}`);
  return v as T;
}

/** Lowercase hex of exactly `bytes` bytes, decoded. */
export function hexBytes(v: unknown, bytes: number, name: string): Uint8Array {
  try {
    return fromHex(v, bytes, name);
  } catch (e) {
    throw new ApiError('BAD_REQUEST', e instanceof CryptoInputError ? e.message : `${name} must be hex`);
  }
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** A path or body id. Unknown ids later give NOT_FOUND; malformed ones are refused here. */
export function id(v: unknown, name: string): string {
  if (typeof v !== 'string' || !ID_RE.test(v)) throw new ApiError('NOT_FOUND', `${name} is not a valid id`);
  return v;
}

/**
 * @module tests/helpers/expect-code
 * Assert that a crypto entry point refuses its input with a CryptoInputError of one code
 * (and not with any other exception from deep inside a library).
 */
import { expect } from 'vitest';
import { CryptoInputError, type CryptoErrorCode } from '../../crypto/index.ts';

export function expectCode(f: () => unknown, code: CryptoErrorCode): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected CryptoInputError ${code}`).toBeInstanceOf(CryptoInputError);
  expect((thrown as CryptoInputError).code).toBe(code);
}

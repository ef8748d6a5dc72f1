// Commitments to a ballot's choices (crypto/commitment.ts, protocol §5): an honest opening
// always opens, any change to choice, salt, token or ballot id breaks it, and the choice
// encoding refuses anything that is not a list of ids.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_ITEMS, SALT_BYTES, checkOpening, commit, encodeChoices, newSalt, toHex,
} from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const choices = fc.array(fc.oneof(fc.constantFrom('agree', 'disagree', 'abstain'), id), { maxLength: 8 });
const commitment = fc.record({ ballotId: id, token: bytes32, choices, salt: bytes32 });

/** Flip one bit of a copy of `b`. */
function flip(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[(bit >> 3) % c.length]! ^= 1 << (bit & 7);
  return c;
}

describe('commit / checkOpening', () => {
  it('an honest opening always opens its commitment (property)', () => {
    fc.assert(
      fc.property(commitment, ({ ballotId, token, choices, salt }) => {
        const c = commit(ballotId, token, choices, salt);
        expect(c.length).toBe(32);
        expect(checkOpening(ballotId, token, c, { choices, salt })).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('changing one choice breaks the opening (property)', () => {
    fc.assert(
      fc.property(commitment, id, fc.nat(), ({ ballotId, token, choices, salt }, other, at) => {
        fc.pre(choices.length > 0);
        const i = at % choices.length;
        fc.pre(choices[i] !== other);
        const c = commit(ballotId, token, choices, salt);
        const changed = choices.map((x, j) => (j === i ? other : x));
        expect(checkOpening(ballotId, token, c, { choices: changed, salt })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('adding, dropping or reordering choices breaks the opening', () => {
    const token = new Uint8Array(32).fill(1);
    const salt = new Uint8Array(32).fill(2);
    const c = commit('b', token, ['agree', 'disagree'], salt);
    for (const other of [['agree'], ['agree', 'disagree', 'abstain'], ['disagree', 'agree'], []])
      expect(checkOpening('b', token, c, { choices: other, salt })).toBe(false);
  });

  it('flipping any bit of the salt or the token breaks the opening (property)', () => {
    fc.assert(
      fc.property(commitment, fc.nat(255), ({ ballotId, token, choices, salt }, bit) => {
        const c = commit(ballotId, token, choices, salt);
        expect(checkOpening(ballotId, token, c, { choices, salt: flip(salt, bit) })).toBe(false);
        expect(checkOpening(ballotId, flip(token, bit), c, { choices, salt })).toBe(false);
        expect(checkOpening(ballotId, token, flip(c, bit), { choices, salt })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('another ballot id breaks the opening (property)', () => {
    fc.assert(
      fc.property(commitment, id, ({ ballotId, token, choices, salt }, other) => {
        fc.pre(other !== ballotId);
        const c = commit(ballotId, token, choices, salt);
        expect(checkOpening(other, token, c, { choices, salt })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('checkOpening is false, never throws, for malformed pieces', () => {
    const token = new Uint8Array(32);
    const salt = new Uint8Array(32);
    const c = commit('b', token, ['agree'], salt);
    expect(checkOpening('b', token, c.slice(1), { choices: ['agree'], salt })).toBe(false);
    expect(checkOpening('b', token, c, { choices: ['agree'], salt: salt.slice(1) })).toBe(false);
    expect(checkOpening('b', token, c, { choices: ['not an id'], salt })).toBe(false);
    expect(checkOpening('b', token, c, { choices: 'agree' as unknown as string[], salt })).toBe(false);
    expect(checkOpening('b', token, c, null as unknown as { choices: string[]; salt: Uint8Array })).toBe(false);
    expect(checkOpening('b b', token, c, { choices: ['agree'], salt })).toBe(false);
  });

  it('commit refuses a bad ballot id, token or salt with its code', () => {
    const t = new Uint8Array(32);
    expectCode(() => commit('', t, [], t), 'BAD_VALUE');
    expectCode(() => commit('b', t.slice(1), [], t), 'BAD_LENGTH');
    expectCode(() => commit('b', t, [], new Uint8Array(16)), 'BAD_LENGTH');
    expectCode(() => commit('b', t, [], 'salt' as unknown as Uint8Array), 'BAD_TYPE');
  });

  it('newSalt gives fresh 32-byte salts', () => {
    expect(newSalt().length).toBe(SALT_BYTES);
    expect(newSalt()).not.toEqual(newSalt());
  });
});

describe('encodeChoices', () => {
  it('is u32be(n) followed by each choice as a length-prefixed field', () => {
    expect(toHex(encodeChoices([]))).toBe('00000000');
    expect(toHex(encodeChoices(['ab', 'c']))).toBe('00000002' + '00000002' + '6162' + '00000001' + '63');
  });

  it('is injective: ["ab","c"] and ["a","bc"] differ (property over id lists)', () => {
    expect(encodeChoices(['ab', 'c'])).not.toEqual(encodeChoices(['a', 'bc']));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 5 }), fc.array(id, { maxLength: 5 }), (a, b) => {
        fc.pre(a.join('\0') !== b.join('\0'));
        expect(toHex(encodeChoices(a))).not.toBe(toHex(encodeChoices(b)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses entries that are not ids with BAD_VALUE', () => {
    for (const bad of ['', 'a b', '票', 'x'.repeat(65), 'a/b', 'agree\n', 5, null, undefined, ['agree']])
      expectCode(() => encodeChoices([bad as unknown as string]), 'BAD_VALUE');
  });

  it('refuses a non-array with BAD_TYPE', () => {
    expectCode(() => encodeChoices('agree' as unknown as string[]), 'BAD_TYPE');
    expectCode(() => encodeChoices({ length: 0 } as unknown as string[]), 'BAD_TYPE');
  });

  it(`refuses more than ${MAX_ITEMS} choices with BAD_LENGTH`, () => {
    expect(() => encodeChoices(Array(MAX_ITEMS).fill('agree'))).not.toThrow();
    expectCode(() => encodeChoices(Array(MAX_ITEMS + 1).fill('agree')), 'BAD_LENGTH');
  });
});

// The server key as typed in the room (crypto/server-key.ts): the whole key or its fingerprint,
// any case, with or without spaces, dashes or colons; nothing else matches.
import { describe, expect, it } from 'vitest';
import { matchesServerKey, normalizeServerKey, serverKeyFingerprint } from '../../crypto/index.ts';

const key = 'a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00';

describe('serverKeyFingerprint', () => {
  it('is the first 16 hex digits in upper case, four groups of four', () => {
    expect(serverKeyFingerprint(key)).toBe('A1B2 C3D4 E5F6 0718');
  });
  it('throws on anything but 64 hex digits', () => {
    for (const bad of ['', key.slice(1), `${key}0`, key.replace('a', 'g')]) expect(() => serverKeyFingerprint(bad)).toThrow(TypeError);
  });
});

describe('matchesServerKey', () => {
  it('accepts the key and its fingerprint as people type them', () => {
    for (const typed of [key, key.toUpperCase(), 'A1B2 C3D4 E5F6 0718', 'a1b2-c3d4-e5f6-0718', 'a1b2c3d4e5f60718', ' A1B2:C3D4:E5F6:0718 ', key.match(/.{4}/g)!.join(' ')])
      expect(matchesServerKey(typed, key), typed).toBe(true);
  });
  it('refuses another key, another fingerprint, a shorter or longer prefix and non-hex', () => {
    const other = `b${key.slice(1)}`;
    for (const typed of [other, 'B1B2 C3D4 E5F6 0718', 'A1B2 C3D4 E5F6 071', 'A1B2 C3D4 E5F6 0718 2', 'A1B2', '', 'A1B2 C3D4 E5F6 071G', '系统校验码'])
      expect(matchesServerKey(typed, key), typed).toBe(false);
    expect(normalizeServerKey('A1B2 C3D4 E5F6 071')).toBeNull();
    expect(normalizeServerKey('A1B2-C3D4-E5F6-0718')).toBe('a1b2c3d4e5f60718');
  });
});

// scripts/chromium.ts: CHROMIUM_PATH wins when it names a file, a missing one is an error that
// says so, and otherwise the first chromium on PATH is taken; none at all says what to install.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../../scripts/chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'piaojue-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function executable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('chromiumPath', () => {
  it('takes CHROMIUM_PATH over PATH, and refuses one that does not exist', () => {
    const own = executable(join(dir, 'own', 'my-chromium'));
    const onPath = executable(join(dir, 'bin', 'chromium'));
    expect(chromiumPath({ CHROMIUM_PATH: own, PATH: join(dir, 'bin') })).toBe(own);
    expect(chromiumPath({ PATH: join(dir, 'bin') })).toBe(onPath);
    expect(() => chromiumPath({ CHROMIUM_PATH: join(dir, 'nowhere'), PATH: join(dir, 'bin') })).toThrow(/CHROMIUM_PATH is .*nowhere, which does not exist/);
  });

  it('finds chromium-browser in a later PATH entry; with none, says what to install or set', () => {
    const browser = executable(join(dir, 'later', 'chromium-browser'));
    expect(chromiumPath({ PATH: [join(dir, 'empty'), join(dir, 'later')].join(delimiter) })).toBe(browser);
    expect(() => chromiumPath({ PATH: join(dir, 'empty') })).toThrow(/no chromium on PATH: install Debian’s chromium .* or set CHROMIUM_PATH/);
  });
});

/**
 * @module scripts/chromium
 * Where the headless browser of the browser tests and the bench is: `CHROMIUM_PATH` if set,
 * else the first `chromium` (Debian's package) or `chromium-browser` on PATH. No browser is
 * ever downloaded (scripts/test.sh installs Debian's).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The chromium executable to launch; throws, saying what to do, when there is none. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH is ${given}, which does not exist: point it at a chromium executable`);
    return given;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const name of ['chromium', 'chromium-browser']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error('no chromium on PATH: install Debian’s chromium (bash scripts/test.sh, or apt-get install chromium), or set CHROMIUM_PATH to a chromium executable');
}

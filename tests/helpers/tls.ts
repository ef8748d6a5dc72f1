/**
 * @module tests/helpers/tls
 * Trusting the server's generated CA from a test process, as a tablet does once: `trustCa` makes
 * this process's `fetch` (Node's undici, through its global dispatcher) accept certificates
 * signed by that CA besides the usual roots, and `nssHome` makes a fresh NSS database — the one
 * Debian's chromium reads under `$HOME/.pki/nssdb` — that trusts it, for a browser started with
 * that HOME. Nothing here turns certificate checking off.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

/** Make this process's fetch trust `caPem` (in addition to the system roots). */
export function trustCa(caPem: string): void {
  // Connections kept alive like Node's default dispatcher, so the servers' keep-alive behaviour is what is tested.
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, caPem] }, keepAliveTimeout: 4_000 }));
}

/**
 * A HOME whose NSS database trusts `caPem` as a CA for web sites (certutil from libnss3-tools,
 * which scripts/test.sh installs). Returns the folder to give chromium as HOME.
 */
export function nssHome(dir: string, caPem: string): string {
  const home = join(dir, 'home');
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  const caFile = join(dir, 'ca-to-trust.pem');
  writeFileSync(caFile, caPem);
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'piaojue test CA', '-t', 'C,,', '-i', caFile]);
  return home;
}

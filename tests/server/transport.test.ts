// Transport (issue 12): `startServer` serves HTTPS by default with a CA it makes once beside the
// database (name-constrained to private networks), reuses both at the next start, renews the
// server certificate alone when an address is added; the organization's own certificate instead;
// plain HTTP only redirects (and hands out the CA certificate); lab mode only when asked; Secure
// `__Host-` cookies and HSTS over HTTPS; a client that sends its headers or its TLS handshake too
// slowly is cut off. This process's fetch trusts the test CAs (tests/helpers/tls.ts); nothing
// here ignores a certificate error.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, transportFromEnv, type Running } from '../../server/main.ts';
import { SERVER_TIMEOUTS } from '../../server/http.ts';
import { loadTls, PERMITTED_RANGES, TlsConfigError, withinConstraints } from '../../server/tls.ts';
import { trustCa } from '../helpers/tls.ts';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'piaojue-tls-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const PASSWORD = 'transport-password';
const start = (dir: string, extra: Partial<Parameters<typeof startServer>[0]> = {}) =>
  startServer({ dbPath: join(dir, 'piaojue.db'), port: 0, host: '127.0.0.1', password: PASSWORD, quiet: true, workers: 0, ...extra });

/** How long until the server closes a socket on which `send` was written (ms), at most `limit`. */
function closedAfter(port: number, send: string, limit: number): Promise<number> {
  return new Promise((done) => {
    const t0 = performance.now();
    const sock = connect(port, '127.0.0.1', () => sock.write(send));
    const timer = setTimeout(() => {
      sock.destroy();
      done(Infinity);
    }, limit);
    sock.on('close', () => {
      clearTimeout(timer);
      done(performance.now() - t0);
    });
    sock.on('error', () => undefined);
    sock.resume();
  });
}

describe('the generated CA and server certificate', () => {
  it('are made once beside the database, reused at the next start, and the server certificate alone renewed for a new address', async () => {
    const dir = temp();
    const a = await loadTls({ dir: join(dir, 'tls'), host: '127.0.0.1' });
    expect(a.source).toBe('generated');
    const ca = new X509Certificate(a.ca!);
    expect(ca.ca).toBe(true);
    expect(ca.fingerprint256).toBe(a.fingerprint);
    const leaf = new X509Certificate(a.cert);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.ca).toBe(false);
    // Private keys are the server user's alone.
    for (const f of ['ca-key.pem', 'server-key.pem']) expect((await import('node:fs')).statSync(join(dir, 'tls', f)).mode & 0o077).toBe(0);
    const again = await loadTls({ dir: join(dir, 'tls'), host: '127.0.0.1' });
    expect([again.ca, again.cert, again.key]).toEqual([a.ca, a.cert, a.key]);
    // Served on another (private) address: a new server certificate from the same CA.
    const moved = await loadTls({ dir: join(dir, 'tls'), host: '10.1.2.3' });
    expect(moved.ca).toBe(a.ca);
    expect(moved.cert).not.toBe(a.cert);
    expect(new X509Certificate(moved.cert).checkIP('10.1.2.3')).toBe('10.1.2.3');
    // A public address is not the CA's to vouch for: left out and reported.
    const pub = await loadTls({ dir: join(dir, 'tls'), host: '203.0.113.7' });
    expect(pub.names).not.toContain('203.0.113.7');
    expect(pub.outside).toEqual(['203.0.113.7']);
  });

  it('the CA is name-constrained to private networks and local names', () => {
    expect(PERMITTED_RANGES).toContain('192.168.0.0/16');
    for (const ok of ['10.0.0.1', '172.31.255.1', '192.168.1.10', '127.0.0.1', '::1', 'fd12::1', 'localhost', 'room.local']) expect(withinConstraints(ok), ok).toBe(true);
    for (const no of ['8.8.8.8', '172.32.0.1', '203.0.113.7', '2001:db8::1', 'example.com', 'bank.example']) expect(withinConstraints(no), no).toBe(false);
  });
});

describe('startServer over HTTPS', () => {
  let running: Running;
  let dir = '';
  afterAll(async () => running?.close());

  it('serves HTTPS with Secure __Host- cookies and HSTS; plain HTTP only redirects and hands out the CA certificate', async () => {
    dir = temp();
    running = await start(dir, { redirectPort: 0 });
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    trustCa(running.tls!.ca!);
    expect(readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8')).toBe(running.tls!.ca);
    const res = await fetch(`${running.url}/api/secretary/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Origin: running.url }, body: JSON.stringify({ password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^__Host-piaojue_sid=[0-9a-f]{64}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    // The unprefixed (HTTP) cookie name means nothing over HTTPS.
    const sid = cookie.split(';')[0]!.split('=')[1]!;
    expect((await fetch(`${running.url}/api/secretary/me`, { headers: { Cookie: `piaojue_sid=${sid}` } })).status).toBe(401);
    expect((await fetch(`${running.url}/api/secretary/me`, { headers: { Cookie: `__Host-piaojue_sid=${sid}` } })).status).toBe(200);
    // The redirect listener: 308 to the same path over HTTPS, for any method; the CA certificate; nothing else.
    for (const [method, path] of [['GET', '/'], ['GET', '/secretary?x=1'], ['POST', '/api/checkin'], ['GET', '/api/tablet']] as const) {
      const r = await fetch(`${running.redirectUrl}${path}`, { method, redirect: 'manual', ...(method === 'POST' ? { body: '{}' } : {}) });
      expect([r.status, r.headers.get('location')]).toEqual([308, `${running.url}${path}`]);
    }
    const caRes = await fetch(`${running.redirectUrl}/ca.crt`);
    expect(caRes.headers.get('content-type')).toBe('application/x-x509-ca-cert');
    expect(await caRes.text()).toBe(running.tls!.ca);
    expect(await (await fetch(`${running.url}/ca.crt`)).text()).toBe(running.tls!.ca);
    expect(await (await fetch(`${running.url}/api/setup`)).json()).toEqual({
      https: true, ca: true, fingerprint: running.tls!.fingerprint, download: `${running.redirectUrl}/ca.crt`, address: `${running.url}/`,
      publicUrl: running.publicUrl,
    });
  });

  // A tablet's browser that resumed its signed-in session for its anonymous cast would let whoever holds the
  // server's session keys link the two connections (protocol §11.1): the server resumes nothing (TLS_SERVER_OPTIONS).
  it('resumes no TLS session, in TLS 1.3 or 1.2 (a resumed cast connection could be linked to the tablet’s signed-in one)', async () => {
    const { connect: tlsConnect } = await import('node:tls');
    const port = Number(new URL(running.url).port);
    const once = (maxVersion: 'TLSv1.3' | 'TLSv1.2', session?: Buffer) =>
      new Promise<{ reused: boolean; session: Buffer | undefined }>((done, fail) => {
        let last: Buffer | undefined;
        let reused = true;
        const s = tlsConnect({ host: '127.0.0.1', port, ca: running.tls!.ca!, servername: 'localhost', maxVersion, ...(session ? { session } : {}) }, () => {
          reused = s.isSessionReused(); // read while the connection is up (after 'close' it is no longer known)
          s.write('GET /api/server-key HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        });
        s.on('session', (b: Buffer) => (last = b));
        s.on('error', fail);
        s.on('close', () => done({ reused, session: last }));
        s.resume();
      });
    for (const v of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await once(v);
      // Whatever the server sent as a session (a TLS 1.3 ticket), offering it back does not resume.
      const second = await once(v, first.session);
      expect(first.reused, v).toBe(false);
      expect(second.reused, v).toBe(false);
    }
  });

  it('keeps its CA across a restart (the tablets trust it once)', async () => {
    const before = running.tls!;
    await running.close();
    running = await start(dir);
    expect(running.tls!.fingerprint).toBe(before.fingerprint);
    expect(running.tls!.cert).toBe(before.cert);
    expect((await fetch(`${running.url}/api/server-key`)).status).toBe(200);
    expect(running.redirectUrl).toBeNull();
  });

  it(`cuts off a client that sends its headers, or its TLS handshake, too slowly (${SERVER_TIMEOUTS.headersTimeout / 1000} s)`, async () => {
    const port = Number(new URL(running.url).port);
    // A TCP connection that never says hello; a TLS client hello and nothing more would be the same.
    const [silent, partial] = await Promise.all([closedAfter(port, '', 20_000), closedAfter(port, '\x16\x03\x01', 20_000)]);
    for (const t of [silent, partial]) {
      expect(t).toBeGreaterThan(SERVER_TIMEOUTS.headersTimeout - 500);
      expect(t).toBeLessThan(SERVER_TIMEOUTS.headersTimeout + 3_000);
    }
    console.log(`[transport] a silent TCP client was closed after ${Math.round(silent)} ms, a stalled TLS handshake after ${Math.round(partial)} ms`);
  }, 30_000);
});

describe('plain HTTP', () => {
  it('lab mode only when asked: headers that stall are cut off there too, and no HSTS', async () => {
    const dir = temp();
    const lab = await start(dir, { tls: false });
    try {
      expect(lab.url).toMatch(/^http:\/\//);
      const r = await fetch(`${lab.url}/api/server-key`);
      expect(r.headers.get('strict-transport-security')).toBeNull();
      const port = Number(new URL(lab.url).port);
      const t = await closedAfter(port, 'GET /api/server-key HTTP/1.1\r\nHost: x\r\n', 20_000);
      expect(t).toBeLessThan(SERVER_TIMEOUTS.headersTimeout + 3_000);
    } finally {
      await lab.close();
    }
  }, 30_000);

  it('the environment: HTTPS unless PIAOJUE_HTTP=1; both PIAOJUE_TLS_CERT and PIAOJUE_TLS_KEY or neither', () => {
    expect(transportFromEnv({}, '/d/p.db', undefined)).toEqual({ tls: { dir: '/d/tls', host: '0.0.0.0' }, port: 8443, redirectPort: 8080 });
    expect(transportFromEnv({ PIAOJUE_REDIRECT_PORT: 'off', PORT: '443' }, '/d/p.db', '10.0.0.5')).toEqual({ tls: { dir: '/d/tls', host: '10.0.0.5' }, port: 443, redirectPort: undefined });
    expect(transportFromEnv({ PIAOJUE_HTTP: '1' }, '/d/p.db', undefined)).toEqual({ tls: false, port: 8080 });
    expect(transportFromEnv({ PIAOJUE_TLS_CERT: '/c.pem', PIAOJUE_TLS_KEY: '/k.pem' }, '/d/p.db', undefined).tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(() => transportFromEnv({ PIAOJUE_TLS_CERT: '/c.pem' }, '/d/p.db', undefined)).toThrow(TlsConfigError);
  });
});

describe("the organization's own certificate", () => {
  it('is served as given (no CA made); a key that is not the certificate’s, or a missing file, is refused with a clear message', async () => {
    // Stand-in for the organization's PKI: a CA of our own making, whose server certificate is handed over as files.
    const org = temp();
    const made = await loadTls({ dir: join(org, 'pki'), host: '127.0.0.1' });
    trustCa(made.ca!);
    const certFile = join(org, 'pki', 'server.pem');
    const keyFile = join(org, 'pki', 'server-key.pem');
    const dir = temp();
    const running = await start(dir, { tls: { certFile, keyFile } });
    try {
      expect(running.tls).toMatchObject({ source: 'organization', ca: null });
      expect(running.tls!.fingerprint).toBe(new X509Certificate(readFileSync(certFile)).fingerprint256);
      expect((await fetch(`${running.url}/api/server-key`)).status).toBe(200);
      expect((await fetch(`${running.url}/ca.crt`)).status).toBe(404);
      expect(await (await fetch(`${running.url}/api/setup`)).json()).toMatchObject({ https: true, ca: false, fingerprint: null, download: null });
      expect((await import('node:fs')).existsSync(join(dir, 'tls'))).toBe(false);
    } finally {
      await running.close();
    }
    await expect(loadTls({ certFile, keyFile: join(org, 'pki', 'ca-key.pem') })).rejects.toThrow(/not a usable PEM certificate and key: the key does not belong/);
    await expect(loadTls({ certFile: join(org, 'missing.pem'), keyFile })).rejects.toThrow(TlsConfigError);
  });
});

// Reachable addresses (issue 11 item 4): the start message names every LAN address the server
// listens on and the public one first; slips, QR codes and the record use the public address —
// PIAOJUE_PUBLIC_URL when given, else the first LAN address, 127.0.0.1 only when there is no
// other; the generated certificate covers it. Interfaces are faked, so the figures do not
// depend on this machine's network.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { addresses, lanAddresses, parsePublicUrl, PublicUrlError, type Interfaces } from '../../server/address.ts';
import { startServer } from '../../server/main.ts';
import { trustCa } from '../helpers/tls.ts';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'piaojue-addr-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const v4 = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` }) as NetworkInterfaceInfo;
const v6 = (address: string, scopeid = 0): NetworkInterfaceInfo =>
  ({ address, family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: `${address}/64`, scopeid }) as NetworkInterfaceInfo;

/** A laptop in the meeting room: loopback, the room's Wi-Fi, a public address on a second card, IPv6. */
const ROOM: Interfaces = {
  lo: [v4('127.0.0.1', true)],
  eth0: [v4('203.0.113.9'), v6('fe80::1', 2)],
  wlan0: [v4('192.168.31.20'), v6('fd00::20')],
  docker0: [v4('172.17.0.1')],
};

describe('lanAddresses and addresses', () => {
  it('lists every non-internal IPv4 address, private networks first', () => {
    expect(lanAddresses(ROOM)).toEqual(['192.168.31.20', '172.17.0.1', '203.0.113.9']);
    expect(lanAddresses({ lo: [v4('127.0.0.1', true)] })).toEqual([]);
  });

  it('the public address is PIAOJUE_PUBLIC_URL, else the first LAN address, 127.0.0.1 only without one', () => {
    const all = addresses({ protocol: 'https', host: '0.0.0.0', port: 8443, interfaces: ROOM });
    expect(all.publicUrl).toBe('https://192.168.31.20:8443');
    expect(all.listening).toEqual(['https://192.168.31.20:8443', 'https://172.17.0.1:8443', 'https://203.0.113.9:8443', 'https://127.0.0.1:8443']);
    const alone = addresses({ protocol: 'https', host: '0.0.0.0', port: 8443, interfaces: { lo: [v4('127.0.0.1', true)] } });
    expect(alone).toEqual({ publicUrl: 'https://127.0.0.1:8443', listening: ['https://127.0.0.1:8443'] });
    const given = addresses({ protocol: 'https', host: '0.0.0.0', port: 8443, interfaces: ROOM, configured: 'https://piaojue.local:8443' });
    expect(given.publicUrl).toBe('https://piaojue.local:8443');
    expect(given.listening[0]).toBe('https://piaojue.local:8443');
    expect(given.listening).toContain('https://192.168.31.20:8443');
    // Bound to one address: that one, whatever the interfaces.
    expect(addresses({ protocol: 'http', host: '10.0.0.5', port: 8080, interfaces: ROOM })).toEqual({ publicUrl: 'http://10.0.0.5:8080', listening: ['http://10.0.0.5:8080'] });
    expect(addresses({ protocol: 'https', host: 'fd00::20', port: 8443, interfaces: ROOM }).publicUrl).toBe('https://[fd00::20]:8443');
  });

  it('PIAOJUE_PUBLIC_URL must be a bare http(s) origin, and says what to write otherwise', () => {
    expect(parsePublicUrl('https://192.168.1.10:8443/')).toBe('https://192.168.1.10:8443');
    expect(parsePublicUrl(' https://Piaojue.Local ')).toBe('https://piaojue.local');
    expect(() => parsePublicUrl('192.168.1.10:8443')).toThrow(PublicUrlError);
    expect(() => parsePublicUrl('not an address')).toThrow(/write it as https:\/\/192\.168\.1\.10:8443/);
    expect(() => parsePublicUrl('ftp://192.168.1.10')).toThrow(/must start with https:\/\//);
    expect(() => parsePublicUrl('https://192.168.1.10:8443/secretary')).toThrow(/only the scheme, host and port/);
    expect(() => parsePublicUrl('https://a:b@192.168.1.10')).toThrow(/only the scheme, host and port/);
  });
});

describe('npm start on a machine with a LAN address', () => {
  it('prints every LAN address, the first as the public one; its certificate covers it; /api/setup hands it out', async () => {
    const dir = temp();
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const running = await startServer({ dbPath: join(dir, 'piaojue.db'), port: 0, host: '0.0.0.0', password: 'address-password', workers: 0, interfaces: ROOM });
    try {
      const port = new URL(running.url).port;
      expect(running.publicUrl).toBe(`https://192.168.31.20:${port}`);
      expect(lines[0]).toBe(`piaojue 票决 is running at https://192.168.31.20:${port}`);
      const listening = lines.find((l) => l.startsWith('  listening on:'))!;
      for (const a of ['192.168.31.20', '172.17.0.1', '203.0.113.9', '127.0.0.1']) expect(listening).toContain(`https://${a}:${port}`);
      expect(lines.join('\n')).toContain(`tablets: https://192.168.31.20:${port}/`);
      expect(lines.join('\n')).toContain('set PIAOJUE_PUBLIC_URL to use another');
      expect(lines.join('\n')).not.toMatch(/tablets: https:\/\/127\.0\.0\.1/);
      const leaf = new X509Certificate(running.tls!.cert);
      expect(leaf.checkIP('192.168.31.20')).toBe('192.168.31.20');
      expect(leaf.checkIP('172.17.0.1')).toBe('172.17.0.1');
      // A public address is outside what the local CA may vouch for: reported, not covered.
      expect(running.tls!.outside).toContain('203.0.113.9');
      expect(lines.join('\n')).toContain('not covered (not a private-network address; use PIAOJUE_TLS_CERT for it): 203.0.113.9');
      trustCa(running.tls!.ca!);
      const setup = await (await fetch(`${running.url}/api/setup`)).json();
      expect(setup.publicUrl).toBe(running.publicUrl);
    } finally {
      await running.close();
    }
  });

  it('PIAOJUE_PUBLIC_URL overrides, and the generated certificate is made again to cover its host', async () => {
    const dir = temp();
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const first = await startServer({ dbPath: join(dir, 'piaojue.db'), port: 0, host: '127.0.0.1', password: 'address-password', workers: 0, quiet: true });
    const firstCert = first.tls!.cert;
    await first.close();
    expect(new X509Certificate(firstCert).checkIP('10.8.0.2')).toBeUndefined();
    const running = await startServer({
      dbPath: join(dir, 'piaojue.db'), port: 0, host: '127.0.0.1', password: 'address-password', workers: 0, publicUrl: 'https://10.8.0.2:9443/',
    });
    try {
      expect(running.publicUrl).toBe('https://10.8.0.2:9443');
      expect(lines[0]).toBe('piaojue 票决 is running at https://10.8.0.2:9443 (PIAOJUE_PUBLIC_URL)');
      expect(running.tls!.ca).toBe(first.tls!.ca);
      expect(new X509Certificate(running.tls!.cert).checkIP('10.8.0.2')).toBe('10.8.0.2');
      trustCa(running.tls!.ca!);
      expect((await (await fetch(`${running.url}/api/setup`)).json()).publicUrl).toBe('https://10.8.0.2:9443');
    } finally {
      await running.close();
    }
  });

  it('warns when tablets could not reach it: no LAN address at all, or HOST bound to this machine alone', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const cases: [string, Interfaces, string][] = [
      ['0.0.0.0', { lo: [v4('127.0.0.1', true)] }, 'WARNING: no network address found; tablets cannot reach 127.0.0.1'],
      ['127.0.0.1', ROOM, 'note: HOST=127.0.0.1 answers this machine only; no tablet can connect'],
    ];
    for (const [host, interfaces, warning] of cases) {
      lines.length = 0;
      const running = await startServer({ dbPath: join(temp(), 'piaojue.db'), port: 0, host, password: 'address-password', workers: 0, interfaces, redirectPort: undefined });
      await running.close();
      expect(running.publicUrl).toBe(running.url);
      expect(lines.join('\n')).toContain(warning);
    }
  });

  it('refuses a PIAOJUE_PUBLIC_URL that is not an address, before listening', async () => {
    const dir = temp();
    await expect(startServer({ dbPath: join(dir, 'piaojue.db'), port: 0, host: '127.0.0.1', password: 'address-password', workers: 0, quiet: true, publicUrl: '192.168.1.10' }))
      .rejects.toThrow(PublicUrlError);
  });
});

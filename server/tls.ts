/**
 * @module server/tls
 * The server's TLS material. By default piaojue is its own small certificate authority: at
 * the first start it creates, in a folder beside the database (`tls/`), a CA (ECDSA P-256,
 * ten years) and a server certificate signed by it for every name and address it serves
 * (`localhost`, the host name, `127.0.0.1`, `::1` and the machine's network addresses, or the
 * one `HOST` given, and the host of `PIAOJUE_PUBLIC_URL`). Later starts reuse both; the server certificate alone is made again when
 * an address was added or it has less than 30 days left, so tablets that trust the CA once keep
 * trusting the server. The CA is name-constrained to private networks (RFC 1918, loopback,
 * link-local, CGNAT, IPv6 ULA) and to `localhost`, `.local` and the host name, so a device that
 * trusts it cannot be shown a certificate for any public site made with its key. An
 * organization that has its own certificate gives it with `PIAOJUE_TLS_CERT` and
 * `PIAOJUE_TLS_KEY` (PEM files); then no CA is made. Certificates are built with
 * @peculiar/x509 on Node's WebCrypto — nothing here writes ASN.1 by hand.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it before it loads
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { X509Certificate, constants as cryptoConstants, createPrivateKey, webcrypto } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import type { Interfaces } from './address.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** Lifetime of the generated CA and server certificates, and when the latter is renewed. */
const CA_DAYS = 3650;
const SERVER_DAYS = 397;
const RENEW_DAYS = 30;

/** Address ranges (and names) the generated CA may vouch for: the networks a meeting room uses. */
export const PERMITTED_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10', '::1/128', 'fc00::/7', 'fe80::/10'] as const;

export type TlsMaterial = {
  /** PEM: the server's private key and its certificate (followed by the CA's, when generated). */
  readonly key: string;
  readonly cert: string;
  /** The generated CA's certificate (PEM), to be trusted once by each device; null for the organization's own. */
  readonly ca: string | null;
  /** SHA-256 of the CA certificate (or of the organization's server certificate), as AA:BB:… */
  readonly fingerprint: string;
  /** The names and addresses the server certificate is valid for. */
  readonly names: readonly string[];
  /** Addresses the server answers on that the generated CA may not vouch for (not in `names`). */
  readonly outside: readonly string[];
  readonly source: 'generated' | 'organization';
};

export type TlsConfig =
  | {
      readonly dir: string;
      readonly host?: string;
      readonly now?: () => number;
      /** More names the certificate must cover: the host of PIAOJUE_PUBLIC_URL (server/address.ts). */
      readonly names?: readonly string[];
      /** The machine's interfaces (tests pass their own; default `os.networkInterfaces()`). */
      readonly interfaces?: Interfaces;
    }
  | { readonly certFile: string; readonly keyFile: string };

/** The error shown when a certificate or key given by the organization cannot be used. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

const permittedIps = new BlockList();
for (const r of PERMITTED_RANGES) {
  const [net, bits] = r.split('/') as [string, string];
  permittedIps.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Options of the HTTPS server's TLS: TLS 1.2 or 1.3, and **no session resumption**. A tablet that
 * resumed, for its anonymous cast, the session of its signed-in connection would let whoever holds
 * the session keys link the two (protocol §11.1). SSL_OP_NO_TICKET stops stateless tickets in
 * TLS 1.2 and 1.3; the server keeps no session cache (Node has no internal one, and no
 * 'resumeSession' listener is installed), so nothing is resumed (tests/server/transport.test.ts).
 */
export const TLS_SERVER_OPTIONS = Object.freeze({ minVersion: 'TLSv1.2' as const, secureOptions: cryptoConstants.SSL_OP_NO_TICKET });

/** True when the generated CA may vouch for this name or address (its name constraints). */
export function withinConstraints(name: string): boolean {
  const v = isIP(name);
  if (v) return permittedIps.check(name, v === 6 ? 'ipv6' : 'ipv4');
  const h = hostname().toLowerCase();
  return name === 'localhost' || name.endsWith('.local') || name === h || name.endsWith(`.${h}`);
}

/**
 * Every name and address a server bound to `host` answers on (all interfaces for 0.0.0.0 / ::).
 */
export function servedNames(host = '0.0.0.0', interfaces: Interfaces = networkInterfaces()): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1']);
  if (host === '0.0.0.0' || host === '::' || host === '') {
    const h = hostname().toLowerCase();
    if (/^[a-z0-9-]{1,63}$/.test(h)) names.add(h).add(`${h}.local`);
    for (const list of Object.values(interfaces))
      for (const a of list ?? []) if (!(a.family === 'IPv6' && a.scopeid)) names.add(a.address);
  } else {
    names.add(host);
  }
  return [...names];
}

/** Load the organization's certificate, or load (creating what is missing) the generated CA and server certificate. */
export async function loadTls(config: TlsConfig): Promise<TlsMaterial> {
  if ('certFile' in config) return organizationTls(config.certFile, config.keyFile);
  const now = config.now ?? Date.now;
  mkdirSync(config.dir, { recursive: true, mode: 0o700 });
  const wanted = [...new Set([...servedNames(config.host, config.interfaces), ...(config.names ?? [])])];
  const names = wanted.filter(withinConstraints);
  const ca = await loadOrCreateCa(config.dir, now());
  const file = (n: string) => join(config.dir, n);
  let server = existsSync(file('server.pem')) && existsSync(file('server-key.pem'))
    ? { cert: readFileSync(file('server.pem'), 'utf8'), key: readFileSync(file('server-key.pem'), 'utf8') } : null;
  if (server && !stillGood(server.cert, ca.pem, names, now())) server = null;
  if (!server) {
    server = await createServerCert(ca, names, now());
    writeSecret(file('server-key.pem'), server.key);
    writeFileAtomic(file('server.pem'), server.cert);
  }
  const covered = new X509Certificate(server.cert).subjectAltName ?? '';
  return {
    key: server.key,
    cert: `${server.cert.trim()}\n${ca.pem.trim()}\n`,
    ca: ca.pem,
    fingerprint: fingerprintOf(ca.pem),
    names: covered.split(', ').map((s) => s.replace(/^(DNS|IP Address):/, '')),
    outside: wanted.filter((n) => !withinConstraints(n)),
    source: 'generated',
  };
}

/** SHA-256 of a certificate's DER as colon-separated upper-case hex (what tablets show in certificate details). */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function organizationTls(certFile: string, keyFile: string): TlsMaterial {
  let cert: string, key: string;
  try {
    cert = readFileSync(certFile, 'utf8');
    key = readFileSync(keyFile, 'utf8');
  } catch (e) {
    throw new TlsConfigError(`cannot read PIAOJUE_TLS_CERT / PIAOJUE_TLS_KEY: ${(e as Error).message}`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
    createSecureContext({ cert, key });
  } catch (e) {
    throw new TlsConfigError(`PIAOJUE_TLS_CERT / PIAOJUE_TLS_KEY are not a usable PEM certificate and key: ${(e as Error).message}`);
  }
  if (Date.parse(leaf.validTo) < Date.now()) throw new TlsConfigError(`the certificate in PIAOJUE_TLS_CERT expired on ${leaf.validTo}`);
  const names = (leaf.subjectAltName ?? '').split(', ').filter(Boolean).map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return { key, cert, ca: null, fingerprint: leaf.fingerprint256, names, outside: [], source: 'organization' };
}

type Ca = { pem: string; cert: x509.X509Certificate; key: CryptoKey };

async function loadOrCreateCa(dir: string, now: number): Promise<Ca> {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const pem = readFileSync(certPath, 'utf8');
    const der = createPrivateKey(readFileSync(keyPath, 'utf8')).export({ format: 'der', type: 'pkcs8' });
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
    return { pem, cert: new x509.X509Certificate(pem), key };
  }
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const h = hostname().toLowerCase();
  const permitted = new GeneralSubtrees([
    ...PERMITTED_RANGES.map((r) => new GeneralSubtree({ base: new GeneralName({ iPAddress: r }) })),
    ...['localhost', 'local', ...(/^[a-z0-9-]{1,63}$/.test(h) ? [h] : [])].map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=piaojue 票决 local CA (${h.slice(0, 40) || 'server'} ${new Date(now).toISOString().slice(0, 10)}), O=piaojue`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_DAYS * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  writeSecret(keyPath, toPem(pkcs8, 'PRIVATE KEY'));
  const pem = cert.toString('pem');
  writeFileAtomic(certPath, pem);
  return { pem, cert, key: keys.privateKey };
}

async function createServerCert(ca: Ca, names: readonly string[], now: number): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const san = names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names.find((n) => !isIP(n) && n !== 'localhost') ?? 'localhost'}, O=piaojue`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(Math.min(now + SERVER_DAYS * DAY, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

/** A stored server certificate is kept while the CA signed it, it covers every name and has 30 days left. */
function stillGood(certPem: string, caPem: string, names: readonly string[], now: number): boolean {
  try {
    const c = new X509Certificate(certPem);
    if (!c.verify(new X509Certificate(caPem).publicKey)) return false;
    if (Date.parse(c.validTo) - now < RENEW_DAYS * DAY) return false;
    const covered = new Set((c.subjectAltName ?? '').split(', ').map((s) => s.replace(/^(DNS|IP Address):/, '').toLowerCase()));
    return names.every((n) => covered.has(n.toLowerCase()) || covered.has(normalizeIp(n)));
  } catch {
    return false;
  }
}

/** Node prints IPv6 SAN entries expanded (`0:0:…:1`); compare in that form. */
function normalizeIp(n: string): string {
  return isIP(n) === 6 ? expandIpv6(n) : n;
}

function expandIpv6(a: string): string {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const parts = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return parts.map((p) => p.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0]! &= 0x7f; // a positive INTEGER
  return Buffer.from(b).toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Private keys: readable by the server's user only. */
function writeSecret(path: string, text: string): void {
  writeFileAtomic(path, text, 0o600);
}

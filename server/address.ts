/**
 * @module server/address
 * The addresses the server is reached at. A server bound to every interface (0.0.0.0) listens
 * on each of the machine's network addresses; the tablets in the room can reach only those of
 * the meeting room's network, never 127.0.0.1. The public address is the one printed on the
 * sign-in slips, in their QR codes and in the record's: `PIAOJUE_PUBLIC_URL` when given (e.g.
 * `https://192.168.1.10:8443`, or a name the organization's DNS resolves), else the address
 * `HOST` names, else the first LAN address (non-internal IPv4, one of a private network first),
 * and 127.0.0.1 only when the machine has no other.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import { withinConstraints } from './tls.ts';

/** What `os.networkInterfaces()` answers; tests pass their own. */
export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The error shown when PIAOJUE_PUBLIC_URL is not an address tablets could open. */
export class PublicUrlError extends Error {
  override readonly name = 'PublicUrlError';
}

/** Every non-internal IPv4 address of the machine, private-network ones first, in interface order otherwise. */
export function lanAddresses(interfaces: Interfaces = networkInterfaces()): string[] {
  const all: string[] = [];
  for (const list of Object.values(interfaces))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !all.includes(a.address)) all.push(a.address);
  return [...all.filter((a) => withinConstraints(a)), ...all.filter((a) => !withinConstraints(a))];
}

/** True for 0.0.0.0, :: and the empty host: bound to every interface. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** `https://host:port` with an IPv6 host in brackets. */
export function originOf(protocol: 'http' | 'https', host: string, port: number): string {
  return `${protocol}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Read PIAOJUE_PUBLIC_URL: an http(s) origin, optionally with a trailing slash, nothing else
 * (no path, query, user or password). Returns the origin without the slash.
 * @throws PublicUrlError with what to write instead
 */
export function parsePublicUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new PublicUrlError(`PIAOJUE_PUBLIC_URL is not an address: "${text}"; write it as https://192.168.1.10:8443`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new PublicUrlError(`PIAOJUE_PUBLIC_URL must start with https:// (or http:// in lab mode), not ${u.protocol}`);
  if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
    throw new PublicUrlError(`PIAOJUE_PUBLIC_URL must be only the scheme, host and port, e.g. https://192.168.1.10:8443, not "${text}"`);
  return u.origin;
}

/** The host of an origin, without IPv6 brackets (what a certificate must name). */
export function hostOf(origin: string): string {
  return new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1');
}

export type Addresses = {
  /** The address tablets use: on the slips, in QR codes, on the record. */
  readonly publicUrl: string;
  /** Every URL the server listens on that another device could open, the public one first; 127.0.0.1 last. */
  readonly listening: readonly string[];
};

/**
 * The public address and every address listened on, for a server bound to `host` on `port`.
 * `configured` is PIAOJUE_PUBLIC_URL (already parsed) or undefined.
 */
export function addresses(opts: { protocol: 'http' | 'https'; host: string; port: number; configured?: string; interfaces?: Interfaces }): Addresses {
  const { protocol, host, port } = opts;
  const local = originOf(protocol, '127.0.0.1', port);
  const lan = isWildcard(host) ? lanAddresses(opts.interfaces).map((a) => originOf(protocol, a, port)) : [originOf(protocol, host, port)];
  const reachable = isWildcard(host) ? [...lan, local] : lan;
  const publicUrl = opts.configured ?? reachable[0]!;
  return { publicUrl, listening: [publicUrl, ...reachable.filter((u) => u !== publicUrl)] };
}

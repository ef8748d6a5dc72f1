/**
 * @module server/main
 * `npm start`: open (or create) the SQLite file, make sure the server key and the
 * secretary's password exist, serve the API and the built client over HTTPS, and print the
 * URL and the fingerprint of the certificate authority the tablets trust (server/tls.ts).
 * Env: PIAOJUE_DB (default ./data/piaojue.db; the generated CA and server certificate go in
 * `tls/` beside it), PORT (8443), HOST (0.0.0.0), PIAOJUE_TLS_CERT and PIAOJUE_TLS_KEY (the
 * organization's own PEM certificate and key instead of the generated ones),
 * PIAOJUE_REDIRECT_PORT (8080: plain HTTP that only redirects to HTTPS and hands out the CA
 * certificate; `off` for none), PIAOJUE_PUBLIC_URL (the address tablets use, printed on the
 * slips and in QR codes; default the first LAN address, server/address.ts), PIAOJUE_HTTP=1 (lab only: plain HTTP on PORT, default 8080, no
 * TLS at all), PIAOJUE_SECRETARY_PASSWORD (first start only), PIAOJUE_LOG=debug (request
 * lines), PIAOJUE_WORKERS (crypto worker threads; default one per core, 0 = crypto on the main
 * thread), PIAOJUE_CRYPTO (crypto backends: fast, the default — mcl-wasm and libsodium where
 * they load — or reference, @noble/curves alone; crypto/backend.ts).
 */
import { serve } from '@hono/node-server';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, join } from 'node:path';
import { createApp } from './app.ts';
import { pruneSessions } from './auth.ts';
import { openStore } from './db.ts';
import { createHub } from './events.ts';
import { createCryptoPool } from './crypto-pool.ts';
import { redirectHandler, SERVER_TIMEOUTS } from './http.ts';
import { ensureSecretaryPassword, loadServerKey } from './keys.ts';
import type { StreamLimits } from './streams.ts';
import { serveClient } from './static.ts';
import { TLS_SERVER_OPTIONS, loadTls, TlsConfigError, type TlsConfig, type TlsMaterial } from './tls.ts';
import { addresses, hostOf, isWildcard, parsePublicUrl, PublicUrlError, type Interfaces } from './address.ts';
import { backendChoice, describeBackends, toHex, useBackend } from '../crypto/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

export type Running = {
  /** The URL of this machine's own loopback (or of the one HOST given): what local tools and tests use. */
  url: string;
  /** The address tablets use (PIAOJUE_PUBLIC_URL, else the first LAN address): on slips, QR codes and the record. */
  publicUrl: string;
  /** Every URL listened on that a device could open, the public one first. */
  listening: readonly string[];
  /** The TLS material served (null in lab mode). */
  tls: TlsMaterial | null;
  /** The plain-HTTP redirect listener's URL, when one runs. */
  redirectUrl: string | null;
  close: () => Promise<void>;
};

export type StartOptions = {
  dbPath: string;
  port: number;
  host?: string;
  password?: string;
  quiet?: boolean;
  log?: boolean;
  workers?: number;
  /** TLS: generated beside the database (the default), the organization's files, or `false` for plain HTTP (lab mode). */
  tls?: TlsConfig | false;
  /** Port of the plain-HTTP listener that only redirects to HTTPS (none when undefined). */
  redirectPort?: number;
  /** Caps on event streams (server/streams.ts); defaults for a 1000-member meeting. */
  streams?: Partial<StreamLimits>;
  /** PIAOJUE_PUBLIC_URL as given (checked here); default: the first LAN address. */
  publicUrl?: string;
  /** The machine's network interfaces (tests pass their own; default `os.networkInterfaces()`). */
  interfaces?: Interfaces;
};

/** Start the server; resolves once it listens. Used by `npm start`, rehearse and tests. */
export async function startServer(opts: StartOptions): Promise<Running> {
  const cryptoBackend = describeBackends(await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO)));
  const host = opts.host ?? '0.0.0.0';
  const configured = opts.publicUrl === undefined || opts.publicUrl === '' ? undefined : parsePublicUrl(opts.publicUrl);
  const given = opts.tls === undefined ? { dir: join(dirname(opts.dbPath), 'tls'), host } : opts.tls;
  // A generated certificate covers the public address too (a name or an address of PIAOJUE_PUBLIC_URL).
  const tlsConfig: TlsConfig | false = given !== false && 'dir' in given
    ? { ...given, names: [...(given.names ?? []), ...(configured ? [hostOf(configured)] : [])], interfaces: given.interfaces ?? opts.interfaces }
    : given;
  const tls = tlsConfig === false ? null : await loadTls(tlsConfig);
  const store = openStore(opts.dbPath);
  const serverKey = loadServerKey(store.db);
  const generated = ensureSecretaryPassword(store.db, opts.password);
  pruneSessions(store.db, Date.now());
  const pool = createCryptoPool(opts.workers);
  let redirectPort: number | undefined;
  let reach: ReturnType<typeof addresses> | null = null;
  const app = createApp({
    store,
    serverKey,
    pool,
    hub: createHub(),
    client: serveClient(),
    log: opts.log ? (line) => console.log(`[piaojue] ${line}`) : undefined,
    streams: opts.streams,
    caCertificate: tls?.ca ?? null,
    caFingerprint: tls?.ca ? tls.fingerprint : null,
    redirectPort: () => redirectPort,
    publicUrl: () => reach?.publicUrl ?? null,
  });
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const main = await new Promise<{ server: HttpServer; port: number }>((resolveStart, reject) => {
    const server = serve(
      {
        fetch: app.fetch, port: opts.port, hostname: host,
        ...(tls ? { createServer: createHttpsServer } : {}),
        serverOptions: { ...SERVER_TIMEOUTS, ...(tls ? { key: tls.key, cert: tls.cert, handshakeTimeout: SERVER_TIMEOUTS.headersTimeout, ...TLS_SERVER_OPTIONS } : {}) },
      },
      (info) => resolveStart({ server: server as unknown as HttpServer, port: info.port }),
    ) as unknown as HttpServer;
    server.once('error', reject);
  });
  const url = `${tls ? 'https' : 'http'}://${shown}:${main.port}`;
  reach = addresses({ protocol: tls ? 'https' : 'http', host, port: main.port, configured, interfaces: opts.interfaces });
  const publicUrl = reach.publicUrl;
  let redirect: HttpServer | null = null;
  let redirectUrl: string | null = null;
  if (tls && opts.redirectPort !== undefined) {
    redirect = createHttpServer({ ...SERVER_TIMEOUTS }, redirectHandler(main.port, tls.ca));
    const port = await new Promise<number>((ok, reject) => {
      redirect!.once('error', reject);
      redirect!.listen(opts.redirectPort, host, () => ok((redirect!.address() as { port: number }).port));
    });
    redirectUrl = `http://${shown}:${port}`;
    redirectPort = port;
  }
  if (!opts.quiet) {
    console.log(`piaojue 票决 is running at ${publicUrl}${configured ? ' (PIAOJUE_PUBLIC_URL)' : ''}`);
    console.log(`  listening on: ${reach.listening.join('   ')}`);
    if (!configured && reach.listening.length > 2) console.log('  slips and QR codes use the first address; set PIAOJUE_PUBLIC_URL to use another');
    if (/^https?:\/\/(127\.|\[::1\]|localhost[:/]|localhost$)/.test(publicUrl)) {
      console.log(isWildcard(host)
        ? '  WARNING: no network address found; tablets cannot reach 127.0.0.1. Connect this machine to the meeting room\'s network and start again'
        : `  note: HOST=${host} answers this machine only; no tablet can connect`);
    }
    console.log(`  tablets: ${publicUrl}/   secretary: ${publicUrl}/secretary   verifier: ${publicUrl}/verify   device set-up: ${publicUrl}/setup`);
    if (tls?.source === 'generated') {
      console.log(`  certificate authority (trust it once on every tablet, see ${publicUrl}/setup): SHA-256 ${tls.fingerprint}`);
      console.log(`  the certificate covers: ${tls.names.join(', ')}`);
      if (tls.outside.length) console.log(`  not covered (not a private-network address; use PIAOJUE_TLS_CERT for it): ${tls.outside.join(', ')}`);
    } else if (tls) {
      console.log(`  the organization's certificate (PIAOJUE_TLS_CERT), SHA-256 ${tls.fingerprint}, for: ${tls.names.join(', ')}`);
    } else {
      console.log('  WARNING: plain HTTP (PIAOJUE_HTTP=1, lab only): anybody on the network reads sign-in codes, cookies and casts');
    }
    if (redirectUrl) {
      const plain = `http://${new URL(publicUrl).host.replace(/:\d+$/, '')}:${redirectPort}`;
      console.log(`  plain HTTP at ${plain} only redirects to HTTPS and hands out the CA certificate (${plain}/ca.crt)`);
    }
    console.log(`  server key (Ed25519): ${toHex(ed25519.getPublicKey(serverKey))}   crypto: ${cryptoBackend}`);
    if (generated) console.log(`  secretary password (shown only this once; write it down and keep it safe): ${generated}`);
  }
  const closeOne = (s: HttpServer) =>
    new Promise<void>((done) => {
      s.close(() => done());
      s.closeAllConnections();
    });
  return {
    url,
    publicUrl,
    listening: reach.listening,
    tls,
    redirectUrl,
    close: async () => {
      app.streams.closeAll();
      await Promise.all([closeOne(main.server), ...(redirect ? [closeOne(redirect)] : [])]);
      store.sqlite.close();
      await pool.close();
    },
  };
}

/** Read the transport settings from the environment (see the module comment). */
export function transportFromEnv(env: NodeJS.ProcessEnv, dbPath: string, host: string | undefined): Pick<StartOptions, 'tls' | 'redirectPort' | 'port'> {
  if (env.PIAOJUE_HTTP === '1') return { tls: false, port: Number(env.PORT ?? 8080) };
  const cert = env.PIAOJUE_TLS_CERT;
  const key = env.PIAOJUE_TLS_KEY;
  if (!!cert !== !!key) throw new TlsConfigError('give both PIAOJUE_TLS_CERT and PIAOJUE_TLS_KEY, or neither');
  const redirect = env.PIAOJUE_REDIRECT_PORT ?? '8080';
  return {
    tls: cert && key ? { certFile: cert, keyFile: key } : { dir: join(dirname(dbPath), 'tls'), host: host ?? '0.0.0.0' },
    port: Number(env.PORT ?? 8443),
    redirectPort: redirect === 'off' ? undefined : Number(redirect),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dbPath = process.env.PIAOJUE_DB ?? './data/piaojue.db';
  let running: Running;
  try {
    running = await startServer({
      dbPath,
      ...transportFromEnv(process.env, dbPath, process.env.HOST),
      host: process.env.HOST,
      password: process.env.PIAOJUE_SECRETARY_PASSWORD,
      log: process.env.PIAOJUE_LOG === 'debug',
      workers: process.env.PIAOJUE_WORKERS ? Number(process.env.PIAOJUE_WORKERS) : undefined,
      publicUrl: process.env.PIAOJUE_PUBLIC_URL,
    });
  } catch (e) {
    if (!(e instanceof TlsConfigError) && !(e instanceof PublicUrlError) && (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    console.error(`piaojue: ${(e as Error).message}`);
    process.exit(1);
  }
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * @module server/main
 * `npm start`: open (or create) the SQLite file, make sure the server key and the
 * secretary's password exist, serve the API and the built client, and print the URL.
 * Env: PIAOJUE_DB (default ./data/piaojue.db), PORT (8080), HOST (0.0.0.0),
 * PIAOJUE_SECRETARY_PASSWORD (first start only), PIAOJUE_LOG=debug (request lines),
 * PIAOJUE_WORKERS (crypto worker threads; default one per core, 0 = crypto on the main thread),
 * PIAOJUE_CRYPTO (crypto backends: fast, the default — mcl-wasm and libsodium where they load —
 * or reference, @noble/curves alone; crypto/backend.ts).
 */
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { pruneSessions } from './auth.ts';
import { openStore } from './db.ts';
import { createHub } from './events.ts';
import { createCryptoPool } from './crypto-pool.ts';
import { ensureSecretaryPassword, loadServerKey } from './keys.ts';
import { serveClient } from './static.ts';
import { backendChoice, describeBackends, toHex, useBackend } from '../crypto/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

export type Running = { url: string; close: () => Promise<void> };

/** Start the server; resolves once it listens. Used by `npm start`, rehearse and tests. */
export async function startServer(opts: { dbPath: string; port: number; host?: string; password?: string; quiet?: boolean; log?: boolean; workers?: number }): Promise<Running> {
  const cryptoBackend = describeBackends(await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO)));
  const store = openStore(opts.dbPath);
  const serverKey = loadServerKey(store.db);
  const generated = ensureSecretaryPassword(store.db, opts.password);
  pruneSessions(store.db, Date.now());
  const pool = createCryptoPool(opts.workers);
  const app = createApp({
    store,
    serverKey,
    pool,
    hub: createHub(),
    client: serveClient(),
    log: opts.log ? (line) => console.log(`[piaojue] ${line}`) : undefined,
  });
  const host = opts.host ?? '0.0.0.0';
  return new Promise((resolveStart) => {
    // Tablets keep their connections across a whole ballot; a short keep-alive makes a
    // client reuse a socket the server is just closing ("other side closed").
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: host, serverOptions: { keepAliveTimeout: 65_000, headersTimeout: 70_000 } }, (info) => {
      const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`;
      if (!opts.quiet) {
        console.log(`piaojue 票决 is running at ${url}`);
        console.log(`  tablets: ${url}/   secretary: ${url}/secretary   verifier: ${url}/verify`);
        console.log(`  server key (Ed25519): ${toHex(ed25519.getPublicKey(serverKey))}   crypto: ${cryptoBackend}`);
        if (generated) console.log(`  secretary password (shown only this once; write it down and keep it safe): ${generated}`);
      }
      resolveStart({
        url,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => {
              store.sqlite.close();
              void pool.close().then(done);
            });
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await startServer({
    dbPath: process.env.PIAOJUE_DB ?? './data/piaojue.db',
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST,
    password: process.env.PIAOJUE_SECRETARY_PASSWORD,
    log: process.env.PIAOJUE_LOG === 'debug',
    workers: process.env.PIAOJUE_WORKERS ? Number(process.env.PIAOJUE_WORKERS) : undefined,
  });
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

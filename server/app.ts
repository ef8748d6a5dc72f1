/**
 * @module server/app
 * The hono application: middleware, then one sub-app per kind of caller (docs/api.md) —
 * secretary, tablet, scrutineer device, anonymous — and the device set-up (the CA certificate). `createApp` takes its dependencies
 * explicitly so tests can run it on a temporary database.
 */
import { Hono } from 'hono';
import type { AuthEnv } from './auth.ts';
import { createCastQueue, type CastQueueOptions } from './cast-queue.ts';
import type { CryptoPool } from './crypto-pool.ts';
import type { Store } from './db.ts';
import { ApiError, renderError } from './errors.ts';
import type { Hub } from './events.ts';
import { securityHeaders } from './http.ts';
import type { StreamLimits } from './streams.ts';
import { loadCodeSalt } from './keys.ts';
import { anonRoutes } from './routes/anon.ts';
import { createContext } from './routes/context.ts';
import { scrutineerRoutes } from './routes/scrutineer.ts';
import { secretaryRoutes } from './routes/secretary.ts';
import { setupRoutes } from './routes/setup.ts';
import { tabletRoutes } from './routes/tablet.ts';

export type AppDeps = {
  readonly store: Store;
  /** Ed25519 secret key of this server (receipts, bundles). */
  readonly serverKey: Uint8Array;
  readonly hub: Hub;
  readonly now?: () => number;
  /** Worker pool for CPU-bound crypto (size 0: inline). */
  readonly pool: CryptoPool;
  /** Batching window, size and bound of the cast queue. */
  readonly castQueue?: CastQueueOptions;
  /** Optional static-file handler for the built client (production). */
  readonly client?: (app: Hono<AuthEnv>) => void;
  /** Log each request line (method, path, status) — never bodies, cookies or addresses. */
  readonly log?: (line: string) => void;
  /** Caps on event streams (server/streams.ts). */
  readonly streams?: Partial<StreamLimits>;
  /** The generated CA certificate (PEM) and its fingerprint, offered by the set-up page; null when none. */
  readonly caCertificate?: string | null;
  readonly caFingerprint?: string | null;
  /** Port of the plain-HTTP redirect listener, if one runs (the set-up page links its `/ca.crt`). */
  readonly redirectPort?: () => number | undefined;
  /** The address tablets use (server/address.ts), once known; null: the address each request came to. */
  readonly publicUrl?: () => string | null;
};

/** Build the application. */
export function createApp(deps: AppDeps) {
  const { store, serverKey, hub, pool } = deps;
  const ctx = createContext({
    store, serverKey, hub, pool,
    now: deps.now ?? Date.now,
    codeSalt: loadCodeSalt(store.db),
    castQueue: createCastQueue(store.db, serverKey, pool, deps.castQueue),
    streams: deps.streams,
  });
  void ctx.resume();

  const app = new Hono<AuthEnv>();
  app.onError((err, c) => renderError(err, c));
  app.notFound((c) => renderError(new ApiError('NOT_FOUND'), c));
  app.use('*', securityHeaders());
  if (deps.log) {
    const log = deps.log;
    app.use('*', async function requestLog(c, next) {
      await next();
      log(`${c.req.method} ${c.req.path} ${c.res.status}`);
    });
  }
  app.route('/api', anonRoutes(ctx));
  app.route('/api', tabletRoutes(ctx));
  app.route('/api', scrutineerRoutes(ctx));
  app.route('/api', secretaryRoutes(ctx));
  app.route('/', setupRoutes({ ca: deps.caCertificate ?? null, fingerprint: deps.caFingerprint ?? null, redirectPort: deps.redirectPort ?? (() => undefined), publicUrl: deps.publicUrl ?? (() => null) }));
  deps.client?.(app);
  // The live caps and counters, for tests and the soak bench.
  return Object.assign(app, { streams: ctx.streams, limits: ctx.limits });
}

/** Type of the app, for the typed client `hc<AppType>()`. */
export type AppType = ReturnType<typeof createApp>;

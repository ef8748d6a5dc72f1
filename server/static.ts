/**
 * @module server/static
 * Serves the built client (dist/client) in production: assets by path, and index.html for
 * the page routes (/, /secretary, /screen/:id, /verify, /scrutineer, /setup) so deep links and reloads work.
 * When the client has not been built, page routes answer with a short explanation.
 */
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthEnv } from './auth.ts';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/client');
const PAGES = ['/', '/secretary', '/secretary/*', '/screen/*', '/verify', '/scrutineer', '/setup'];

/** Route installer for the built client. */
export function serveClient(dist = DIST) {
  return (app: Hono<AuthEnv>) => {
    const index = resolve(dist, 'index.html');
    const notBuilt =
      '<!doctype html><meta charset="utf-8"><title>piaojue</title><p>客户端尚未构建。请运行 <code>npm run build</code>。<br>The client is not built yet: run <code>npm run build</code>.</p>';
    for (const p of PAGES)
      app.get(p, (c) => (existsSync(index) ? c.html(readFileSync(index, 'utf8')) : c.html(notBuilt, 503)));
    if (existsSync(dist)) app.use('/assets/*', serveStatic({ root: relative(process.cwd(), dist) }));
  };
}

/**
 * Vite build of the client SPA (client/ → dist/client). One index.html serves every page
 * (/, /secretary, /screen/:id, /verify); assets land under /assets/ where server/static.ts
 * serves them. The server's CSP forbids inline scripts and styles, so the module-preload
 * polyfill (an inline helper) is off and all CSS is emitted as files.
 */
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

export default defineConfig({
  root: 'client',
  base: '/',
  plugins: [solid()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  worker: { format: 'es' },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});

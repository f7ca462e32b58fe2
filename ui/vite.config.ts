// The web UI's build (docs/ui.md): scripts/build.mjs runs it into dist/ui, which `baton serve` serves.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  base: '/',
  // `npx vite ui`: the UI with hot reload, its API calls sent to a running baton serve (BATON_URL, default its default address).
  server: { proxy: Object.fromEntries(['/api', '/healthz'].map((p) => [p, { target: process.env.BATON_URL ?? 'http://127.0.0.1:8377', changeOrigin: true }])) },
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    // Hashed names under /assets/: the server caches them for a year (src/server/ui-static.ts).
    assetsDir: 'assets',
    target: 'es2022',
    // No inline module-preload polyfill: the CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});

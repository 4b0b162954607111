import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { VitePWA } from 'vite-plugin-pwa';

// The PWA is built from client/ into dist/client, which the hub serves at `/`. The service
// worker precaches every built file so that the app starts with no network after its first
// load; API calls are never cached by it: the app's data lives in IndexedDB.
export default defineConfig({
  root: 'client',
  publicDir: 'public',
  // Source maps are written (for debugging a build) but not linked from the files, and the
  // hub serves them only when HUB_SERVE_SOURCE_MAPS=1.
  build: { outDir: '../dist/client', emptyOutDir: true, sourcemap: 'hidden' },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://localhost:8787' } },
  plugins: [
    preact(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      strategies: 'generateSW',
      filename: 'sw.js',
      manifest: {
        name: 'Gridtally',
        short_name: 'Gridtally',
        description: 'Query and pay electricity bills, online or offline.',
        theme_color: '#15803d',
        background_color: '#f3f4f6',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: '/icon-maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
      },
    }),
  ],
});

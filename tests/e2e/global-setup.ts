/** Builds the PWA once before the end-to-end tests, as `npm start` would (vite's own CLI, not npx). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const VITE = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));

export default function globalSetup(): void {
  execFileSync(process.execPath, [VITE, 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}

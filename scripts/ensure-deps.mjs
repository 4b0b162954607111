// Runs before `npm start` and `npm test`: installs the locked dependencies when they are
// missing or older than package-lock.json, so the README's two commands work on a fresh clone.
// Plain JavaScript, because it runs before TypeScript tooling is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale =
  !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('[setup] installing dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}

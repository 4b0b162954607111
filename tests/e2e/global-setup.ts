/** Builds the PWA once before the end-to-end tests, as `npm start` would. */
import { execFileSync } from 'node:child_process';

export default function globalSetup(): void {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}

import { defineConfig } from '@playwright/test';
import everyday from './playwright.config.ts';

// The screenshot tour (tests/tour): every agent workflow in three languages at three sizes,
// about three minutes, so `npm run test:long` runs it and `npm test` does not. The same
// browser, build and limits as the end-to-end tests.
export default defineConfig({ ...everyday, testDir: 'tests/tour' });

/**
 * How Debian's Chromium is launched here, by the end-to-end tests and by the bench alike:
 * browsers cannot be downloaded on this machine, and a headless browser in a container needs
 * no sandbox, no GPU and none of the browser's own background traffic.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Goal: pushes may travel gzip-compressed, as they do over 2G, and change nothing else; a body
 * that claims gzip but is not, an encoding the hub does not speak, or a body that would inflate
 * past the limit is refused with a clear error and writes nothing.
 *
 * The app's files go gzipped to browsers that accept it; the API's answers go gzipped whole, with
 * their length, so an answer leaves in one write.
 *
 * Method: the hub app in-process on seeded in-memory SQLite; bodies compressed with node:zlib.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../hub/app.ts';
import { acceptsGzip } from '../../hub/http/compression.ts';
import { minor } from '../../shared/money.ts';
import { DeviceChain, openHub, pushBody, rowCounts, TABLET_A } from './harness.ts';

async function sendRaw(
  app: Awaited<ReturnType<typeof openHub>>['app'],
  body: Uint8Array<ArrayBuffer> | string,
  encoding: string,
) {
  return app.request('/api/sync/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    body,
  });
}

describe('compressed pushes', () => {
  test('a gzip-compressed push is stored as the same push sent plain, and is several times smaller', async () => {
    const hub = await openHub();
    const chain = new DeviceChain(TABLET_A, 'user-amina');
    for (let n = 0; n < 50; n++)
      chain.payment({
        accountId: `acc-${String(1 + 2 * n).padStart(4, '0')}`,
        amountMinor: minor(10_000 + n),
      });
    const text = JSON.stringify(await pushBody(TABLET_A, chain.facts));
    const compressed = new Uint8Array(gzipSync(text));
    expect(compressed.length * 3).toBeLessThan(text.length);
    const response = await sendRaw(hub.app, compressed, 'gzip');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ackedSeq: 50 });
    expect((await rowCounts(hub.store)).payments).toBe(50);
  });

  test('a body that says gzip but is not is refused with 400 invalid-request', async () => {
    const hub = await openHub();
    const before = await rowCounts(hub.store);
    const response = await sendRaw(hub.app, '{"formatVersion":1}', 'gzip');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-request' });
    expect(await rowCounts(hub.store)).toEqual(before);
  });

  test('an encoding other than gzip is refused with 415 unsupported-encoding', async () => {
    const hub = await openHub();
    const response = await sendRaw(hub.app, 'x', 'br');
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: 'unsupported-encoding' });
  });

  test('a body that would inflate past the limit is refused with 413 request-too-large', async () => {
    const hub = await openHub();
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)));
    expect(bomb.length).toBeLessThan(100_000);
    const response = await sendRaw(hub.app, bomb, 'gzip');
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'request-too-large' });
  });
});

describe("the app's files", () => {
  test('go gzipped to a browser that accepts gzip, and whole to one that does not', async () => {
    const hub = await openHub();
    const root = mkdtempSync(join(tmpdir(), 'gridtally-static-'));
    try {
      const script = `export const lines = [${Array.from({ length: 2000 }, (_, i) => `"line ${i}"`).join(',')}];`;
      mkdirSync(join(root, 'assets'));
      writeFileSync(join(root, 'assets', 'index.js'), script);
      const app = createApp({ store: hub.store, now: () => new Date() }, { staticDir: root });
      const zipped = await app.request('/assets/index.js', {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(zipped.status).toBe(200);
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      const bytes = Buffer.from(await zipped.arrayBuffer());
      expect(bytes.length * 3).toBeLessThan(script.length);
      expect(gunzipSync(bytes).toString()).toBe(script);
      const plain = await app.request('/assets/index.js');
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(await plain.text()).toBe(script);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('answers', () => {
  test('go gzipped whole, with their length, to a client that accepts gzip; whole to one that does not', async () => {
    const hub = await openHub();
    const zipped = await hub.app.request('/api/openapi.json', {
      headers: { 'accept-encoding': 'br;q=1, gzip;q=0.8' },
    });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toMatch(/accept-encoding/i);
    const bytes = Buffer.from(await zipped.arrayBuffer());
    expect(Number(zipped.headers.get('content-length'))).toBe(bytes.length);
    const plain = await hub.app.request('/api/openapi.json');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const text = await plain.text();
    expect(bytes.length * 3).toBeLessThan(text.length);
    expect(gunzipSync(bytes).toString()).toBe(text);
    // An answer too small to gain goes as it is, with its length.
    const small = await hub.app.request('/api/health', { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers.get('content-encoding')).toBeNull();
    const health = await small.text();
    expect(Number(small.headers.get('content-length'))).toBe(Buffer.byteLength(health));
    expect(JSON.parse(health)).toMatchObject({ status: expect.any(String) });
  });

  test.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, GZIP;q=0.5', true],
    ['gzip;q=0', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['identity', false],
    ['', false],
  ])('Accept-Encoding %j takes gzip: %s', (header, taken) => {
    expect(acceptsGzip(header)).toBe(taken);
  });
});

/**
 * Draws the app's icons (a white lightning bolt on green) as PNG files in client/public.
 * Run once when the icon changes: `npx tsx scripts/make-icons.ts`. The PNGs are committed.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const bolt: [number, number][] = [
  [0.58, 0.1],
  [0.25, 0.56],
  [0.47, 0.56],
  [0.4, 0.9],
  [0.76, 0.42],
  [0.53, 0.42],
];

function inside(x: number, y: number): boolean {
  let hit = false;
  for (let i = 0, j = bolt.length - 1; i < bolt.length; j = i++) {
    const [xi, yi] = bolt[i] as [number, number];
    const [xj, yj] = bolt[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size: number, padding: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const u = (x / size - padding) / (1 - 2 * padding);
      const v = (y / size - padding) / (1 - 2 * padding);
      const white = inside(u, v);
      row.set(white ? [255, 255, 255] : [21, 128, 61], 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

writeFileSync('client/public/icon-192.png', png(192, 0.05));
writeFileSync('client/public/icon-512.png', png(512, 0.05));
writeFileSync('client/public/icon-maskable-512.png', png(512, 0.18));
writeFileSync('client/public/apple-touch-icon.png', png(180, 0.05));

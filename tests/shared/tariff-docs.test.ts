/**
 * Goal: docs/tariffs.md tells the truth. Every `json example` block in it is billed by the
 * engine and must give exactly the lines and total written there; every `json
 * invalid-example` must be refused with an error naming each field it lists.
 *
 * Method: the document is read and its fenced blocks parsed; nothing is copied by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeBill } from '../../shared/tariff/engine.ts';
import type { Tariff } from '../../shared/tariff/schema.ts';
import { parseTariff } from '../../shared/tariff/validate.ts';

const markdown = readFileSync(new URL('../../docs/tariffs.md', import.meta.url), 'utf8');

function blocks(marker: string): { title: string; body: unknown }[] {
  const found: { title: string; body: unknown }[] = [];
  const pattern = new RegExp('```json ' + marker + '\\n([\\s\\S]*?)```', 'g');
  for (const match of markdown.matchAll(pattern)) {
    const before = markdown.slice(0, match.index);
    const title = [...before.matchAll(/^#+ (.+)$/gm)].at(-1)?.[1] ?? 'untitled';
    found.push({ title, body: JSON.parse(match[1] ?? 'null') as unknown });
  }
  return found;
}

interface Example {
  tariff: unknown;
  usage: Parameters<typeof computeBill>[1];
  expect: { lines: Record<string, number>; totalMinor: number; firstTierKwhLeftThisYear?: string };
}

function tariffs(document: unknown): Tariff[] {
  return (Array.isArray(document) ? document : [document]).map((one) => {
    const parsed = parseTariff(one);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
    return parsed.value;
  });
}

describe('docs/tariffs.md examples', () => {
  const examples = blocks('example');

  it('has the examples the document promises', () => {
    expect(examples.length).toBeGreaterThanOrEqual(11);
  });

  it.each(examples.map((example) => [example.title, example.body as Example] as const))(
    '%s',
    (_title, example) => {
      const bill = computeBill(tariffs(example.tariff), example.usage);
      if (!bill.ok) throw new Error(JSON.stringify(bill.error));
      expect(
        Object.fromEntries(bill.value.lines.map((line) => [line.id, line.amountMinor])),
      ).toEqual(example.expect.lines);
      expect(bill.value.totalMinor).toBe(example.expect.totalMinor);
      expect(bill.value.firstTierKwhLeftThisYear).toBe(example.expect.firstTierKwhLeftThisYear);
    },
  );
});

describe('docs/tariffs.md malformed tariffs', () => {
  const invalid = blocks('invalid-example');

  it('has the malformed examples the document promises', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(2);
  });

  it.each(
    invalid.map(
      (example) => [example.title, example.body as { tariff: unknown; fields: string[] }] as const,
    ),
  )('is refused naming each field: %s', (_title, example) => {
    const parsed = parseTariff(example.tariff);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.map((issue) => issue.field).sort()).toEqual([...example.fields].sort());
    for (const issue of parsed.error) expect(issue.message.length).toBeGreaterThan(10);
  });
});

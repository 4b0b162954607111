/**
 * Goal: docs/sync-protocol.md is enough to write a client from, and its worked examples are
 * true: the example fact hashes to the hash written beside it, over exactly the text shown; the
 * signing text shown is what a device signs for that fact; the example pull page's checksum is
 * what the hub computes; the limits named are the code's.
 *
 * Method: the document's fenced blocks are read and recomputed with the code both sides use;
 * nothing is copied by hand.
 */
import { auditHeadSignatureValid } from '../../shared/audit-head.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pushSigningText } from '../../shared/devices.ts';
import { hubErrorCodes } from '../../shared/errors.ts';
import {
  factEnvelopeSchema,
  factTexts,
  MAX_BODY_CHARS,
  MAX_BODY_DEPTH,
  readFact,
} from '../../shared/facts.ts';
import {
  flagReasons,
  MAX_ACCOUNTS_PER_PULL,
  MAX_FACTS_PER_PUSH,
  pullPageIntact,
  pullResponseSchema,
} from '../../shared/protocol.ts';

const markdown = readFileSync(new URL('../../docs/sync-protocol.md', import.meta.url), 'utf8');

function block(info: string): string {
  const match = new RegExp('```' + info + '\\n([\\s\\S]*?)```').exec(markdown);
  if (!match?.[1]) throw new Error(`docs/sync-protocol.md has no ${info} block`);
  return match[1];
}

describe('docs/sync-protocol.md', () => {
  const fact = factEnvelopeSchema.parse(JSON.parse(block('json fact-example')));

  it('the example fact is a valid payment whose hash is the SHA-256 of the text shown', () => {
    expect(readFact(fact).ok).toBe(true);
    const shown = block('text hashed-text').trim();
    expect(factTexts(fact).unsigned).toBe(shown);
    expect(createHash('sha256').update(shown, 'utf8').digest('hex')).toBe(fact.hash);
  });

  it('the signing text shown is what a device signs for that fact', () => {
    const shown = JSON.parse(block('text signing-text')) as { sentAtMs: number };
    expect(
      pushSigningText({
        formatVersion: 1,
        deviceId: fact.deviceId,
        facts: [fact],
        sentAtMs: shown.sentAtMs,
      }),
    ).toBe(block('text signing-text').trim());
  });

  it('the example pull page is intact: its count and checksum are what the hub computes, its audit head signed by its key', async () => {
    const page = pullResponseSchema.parse(JSON.parse(block('json pull-example')));
    expect(pullPageIntact(page)).toBe(true);
    expect(await auditHeadSignatureValid(page.hubKey, page.auditHead)).toBe(true);
    expect(await auditHeadSignatureValid(page.hubKey, { ...page.auditHead, seq: 213 })).toBe(false);
  });

  it('names every limit as the code sets it, every error code and every flag reason', () => {
    expect(markdown).toContain(`1 to ${MAX_FACTS_PER_PUSH.toLocaleString('en')}`);
    expect(markdown).toContain(`| ${MAX_ACCOUNTS_PER_PULL} `);
    expect(markdown).toContain(
      `${MAX_BODY_CHARS.toLocaleString('en')} characters of JSON, ${MAX_BODY_DEPTH} levels`,
    );
    for (const code of hubErrorCodes) expect(markdown, code).toContain(`\`${code}\``);
    for (const reason of flagReasons) expect(markdown, reason).toContain(`\`${reason}\``);
  });
});

/**
 * Goal: docs/security.md is true to the code: every body limit, rate limit and lock-out it
 * states is the one the hub sets, and it names every route's limit.
 *
 * Method: the document's text against the constants in hub/http/edge.ts and hub/auth/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOCKOUTS, THROTTLES } from '../../hub/auth/throttle.ts';
import { BODY_LIMITS, DEFAULT_BODY_BYTES } from '../../hub/http/edge.ts';
import { SCRYPT_PARAMETERS } from '../../hub/auth/secrets.ts';

const markdown = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

describe('docs/security.md', () => {
  it('states every route’s body limit as the hub sets it', () => {
    for (const [route, limit] of Object.entries(BODY_LIMITS)) {
      if (limit === 0) {
        expect(route.startsWith('GET '), route).toBe(true);
        continue;
      }
      const path = route.split(' ')[1] ?? '';
      const tail = path.split('/').slice(-1)[0] ?? '';
      const row = markdown
        .split('\n')
        .find((line) => line.trimStart().startsWith('| `') && line.includes(`/${tail}\``));
      expect(row, route).toBeDefined();
      expect(row, route).toContain(size(limit));
    }
    expect(markdown).toMatch(
      new RegExp(`any other path under \`/api\`\\s*\\| ${size(DEFAULT_BODY_BYTES)}`),
    );
  });

  it('states every rate limit and lock-out, and the hashing cost', () => {
    for (const policy of Object.values(THROTTLES)) {
      const per =
        policy.windowMs === 60_000 ? 'a minute' : `in ${policy.windowMs / 60_000} minutes`;
      expect(markdown, policy.kind).toContain(`| ${policy.limit} ${per}`);
    }
    const words = ['', '', '', '', '', 'Five', '', '', '', '', 'ten'];
    expect(markdown).toContain(`${words[LOCKOUTS.pin.freeTries]} wrong PINs`);
    expect(markdown).toContain(`${words[LOCKOUTS.password.freeTries]} wrong passwords`);
    const { N, r, p } = SCRYPT_PARAMETERS;
    expect(markdown).toContain(`N=2${superscript(Math.log2(N))}, r=${r}, p=${p}`);
  });
});

function superscript(n: number): string {
  return [...String(n)].map((digit) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(digit)]).join('');
}

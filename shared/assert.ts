/**
 * Programmer-error checks that stay on in production. Expected outcomes are never thrown:
 * they are returned as named codes (see errors.ts). An assertion failing means the code is
 * wrong, so it stops the operation before it can write anything inconsistent.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Keeps switches over closed unions exhaustive: a new member fails the typecheck here. */
export function assertNever(value: never, message = 'unexpected value'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}

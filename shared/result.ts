/**
 * The result type for expected outcomes: either a value or a named error code from a closed
 * union. Callers must look at `ok` before they can touch the value.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<const E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

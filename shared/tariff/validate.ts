/**
 * Reading a tariff document: either a valid Tariff, or every problem found, each naming the
 * field as a path ("energy.0.blocks.2.upToKwh") with a sentence a tariff author can act on.
 */
import { err, ok, type Result } from '../result.ts';
import { tariffSchema, type Tariff } from './schema.ts';

export interface TariffIssue {
  readonly field: string;
  readonly message: string;
}

export function parseTariff(document: unknown): Result<Tariff, TariffIssue[]> {
  const parsed = tariffSchema.safeParse(document);
  if (parsed.success) return ok(parsed.data);
  return err(
    parsed.error.issues.map((issue) => ({
      field: issue.path.join('.') || '(document)',
      message: issue.message,
    })),
  );
}

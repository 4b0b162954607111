/** One measured figure, printed as one JSON line by `npm run bench`. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly context?: Record<string, unknown>;
}

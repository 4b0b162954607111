/**
 * Tariff documents: versioned JSON, validated with errors that name the field. A tariff is an
 * ordered recipe: energy components make the energy lines; an optional lifeline allowance
 * takes eligible kWh off; then each charge, in the order written, adds one line (fixed
 * charges, per-kWh pass-throughs, percentage levies and taxes on named earlier lines,
 * discounts, a minimum charge). Only earlier lines can be a base, so a tariff cannot loop.
 *
 * Rates are decimal strings in major currency units ("0.4883" CNY per kWh), percentages are
 * decimal strings of percent ("16"), thresholds are kWh. docs/tariffs.md explains each shape.
 */
import { z } from 'zod';
import { currencySchema } from '../money.ts';
import { freeText } from '../text.ts';
import { parseKwh, parseRate } from './decimal.ts';

const roundingSchema = z.enum(['half-up', 'half-even', 'truncate']);

/**
 * rounded: each line is rounded to minor units and the total is their sum (most utilities).
 * exact: lines keep their exact amounts and the bill is rounded once, at the total, by the
 * tariff's `rounding` (utilities that print lines to a fraction of a minor unit).
 */
export const lineAmountsSchema = z.enum(['rounded', 'exact']);
export type LineAmounts = z.output<typeof lineAmountsSchema>;

/**
 * Limits on a tariff document (STYLE 16): far beyond any tariff a utility publishes, small
 * enough that reading and billing one stays cheap for a hub that takes documents from the
 * network. Amounts that still come out too large for a bill are refused by the engine
 * (`amount-out-of-range`), never by an assertion.
 */
export const TARIFF_LIMITS = {
  /** Characters in a decimal string: 9 decimals and a ceiling of 7 digits leave room to spare. */
  decimalLength: 24,
  /** A rate, an amount or a percentage, in major units (or percent): a million. */
  magnitude: 1_000_000,
  /** kWh in a threshold or allowance: a billion, beyond any meter's period. */
  kwh: 1_000_000_000,
  /** Blocks in a ladder, bands, steps: published ladders have at most a dozen. */
  blocks: 100,
  /** Energy components, or time-of-use periods. */
  components: 24,
  /** Charges (fixed, per-kWh, levies, taxes, discounts, a minimum). */
  charges: 100,
  /** Rows of a month-by-month rate table: a century of months. */
  datedRates: 1200,
  /** Names of earlier lines a percentage or discount is taken from. */
  baseNames: 100,
  /** Characters in an id or a register's or eligibility's name. */
  name: 64,
  /** A rounding quantum, in minor units. */
  quantumMinor: 1_000_000,
} as const;

const MAX_RATE = BigInt(TARIFF_LIMITS.magnitude) * 10n ** 9n;

const decimal = z
  .string()
  .max(TARIFF_LIMITS.decimalLength)
  .refine((text) => parseRate(text) !== undefined, {
    message:
      'must be a decimal number written as a string, such as "0.4883", with at most 9 decimals',
  })
  .refine(
    (text) => {
      const value = parseRate(text) ?? 0n;
      return value <= MAX_RATE && value >= -MAX_RATE;
    },
    { message: `must be at most ${TARIFF_LIMITS.magnitude} in size` },
  );

const nonNegativeDecimal = decimal.refine((text) => !text.trim().startsWith('-'), {
  message: 'must not be negative',
});

const lineId = z
  .string()
  .max(TARIFF_LIMITS.name)
  .regex(/^[a-z][a-z0-9-]*$/, 'must be kebab-case, such as "fuel-cost"');

const isoDate = z.iso.date();
const yearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM');

const thresholdKwh = z.number().positive().max(TARIFF_LIMITS.kwh);
const ladder = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(TARIFF_LIMITS.blocks);
const name = z.string().min(1).max(TARIFF_LIMITS.name);

const blockSchema = z.object({
  upToKwh: thresholdKwh.nullable(),
  rate: nonNegativeDecimal,
});

/**
 * A band prices all of a bill's kWh at one rate, or through its own ladder of blocks (as
 * Tamil Nadu reprices every unit with another ladder once a bill passes 500 units).
 */
const bandSchema = z.union([
  blockSchema,
  z
    .object({ upToKwh: thresholdKwh.nullable(), blocks: ladder(blockSchema) })
    .superRefine((band, ctx) => checkBlocks(band.blocks, ctx, 'blocks')),
]);

/** Thresholds strictly increase and only the last block is open-ended, so blocks cover all kWh. */
function checkBlocks(
  blocks: readonly { upToKwh: number | null }[],
  ctx: z.RefinementCtx,
  field: string,
): void {
  blocks.forEach((block, index) => {
    const last = index === blocks.length - 1;
    if (last && block.upToKwh !== null) {
      ctx.addIssue({
        code: 'custom',
        path: [field, index, 'upToKwh'],
        message: 'the last block must be open-ended (null)',
      });
    }
    if (!last && block.upToKwh === null) {
      ctx.addIssue({
        code: 'custom',
        path: [field, index, 'upToKwh'],
        message: 'only the last block may be open-ended',
      });
    }
    const previous = blocks[index - 1]?.upToKwh;
    if (
      index > 0 &&
      block.upToKwh !== null &&
      previous !== null &&
      previous !== undefined &&
      block.upToKwh <= previous
    ) {
      ctx.addIssue({
        code: 'custom',
        path: [field, index, 'upToKwh'],
        message: `blocks overlap or are out of order: ${block.upToKwh} kWh is not above ${previous} kWh`,
      });
    }
  });
}

/** A tariff's own label: one text for every language, or one per language (English required). */
export const tariffLabelSchema = z.union([
  freeText(80).min(1),
  z.strictObject({
    en: freeText(80).min(1),
    sw: freeText(80).min(1).optional(),
    zh: freeText(80).min(1).optional(),
  }),
]);

const label = tariffLabelSchema.optional();

export const energyComponentSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('flat'),
    rate: nonNegativeDecimal,
    label,
    rounding: roundingSchema.optional(),
  }),
  z
    .object({
      kind: z.literal('blocks'),
      /** month: thresholds count this bill's kWh; year: kWh billed earlier this year come first. */
      period: z.enum(['month', 'year']),
      blocks: ladder(blockSchema),
      label,
      rounding: roundingSchema.optional(),
    })
    .superRefine((value, ctx) => checkBlocks(value.blocks, ctx, 'blocks')),
  z
    .object({
      kind: z.literal('bands'),
      /** Which kWh choose the band: this bill's, or the average of the last N months. */
      basis: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('this-month') }),
        z.object({ kind: z.literal('average'), months: z.number().int().min(1).max(24) }),
      ]),
      bands: ladder(bandSchema),
      label,
      rounding: roundingSchema.optional(),
    })
    .superRefine((value, ctx) => checkBlocks(value.bands, ctx, 'bands')),
  z.object({
    kind: z.literal('time-of-use'),
    periods: z
      .array(
        z.object({
          register: name.regex(/^[a-z][a-z0-9-]*$/),
          rate: nonNegativeDecimal,
          label,
        }),
      )
      .min(1)
      .max(TARIFF_LIMITS.components)
      .refine((periods) => new Set(periods.map((p) => p.register)).size === periods.length, {
        message: 'each register may appear once',
      }),
    rounding: roundingSchema.optional(),
  }),
]);

const base = z.array(name).min(1).max(TARIFF_LIMITS.baseNames);

export const chargeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fixed'),
    id: lineId,
    label,
    amount: nonNegativeDecimal,
    rounding: roundingSchema.optional(),
  }),
  z
    .object({
      kind: z.literal('fixed-by-kwh'),
      id: lineId,
      label,
      /** A fixed charge whose amount depends on the bill's kWh (KEPCO's basic charge by step). */
      steps: ladder(z.object({ upToKwh: thresholdKwh.nullable(), amount: nonNegativeDecimal })),
      rounding: roundingSchema.optional(),
    })
    .superRefine((value, ctx) => checkBlocks(value.steps, ctx, 'steps')),
  z.object({
    kind: z.literal('per-kwh'),
    id: lineId,
    label,
    rate: nonNegativeDecimal,
    rounding: roundingSchema.optional(),
  }),
  z.object({
    kind: z.literal('per-kwh-dated'),
    id: lineId,
    label,
    /** Month-by-month rates (fuel, exchange-rate, inflation adjustments); the latest row not after the bill's month applies. */
    table: z
      .array(z.object({ from: yearMonth, rate: decimal }))
      .min(1)
      .max(TARIFF_LIMITS.datedRates)
      .refine((rows) => rows.every((row, i) => i === 0 || (rows[i - 1]?.from ?? '') < row.from), {
        message: 'rows must be in increasing month order with no month twice',
      }),
    rounding: roundingSchema.optional(),
  }),
  z.object({
    kind: z.literal('percentage'),
    id: lineId,
    label,
    /** levy or tax: how the line is shown; the arithmetic is the same. */
    group: z.enum(['levy', 'tax']),
    percent: nonNegativeDecimal,
    of: base,
    rounding: roundingSchema.optional(),
    /** Round to a multiple of this many minor units (KEPCO rounds its fund down to 10 won). */
    quantumMinor: z.number().int().min(1).max(TARIFF_LIMITS.quantumMinor).optional(),
  }),
  z
    .object({
      kind: z.literal('discount'),
      id: lineId,
      label,
      percent: nonNegativeDecimal.optional(),
      amount: nonNegativeDecimal.optional(),
      of: base.optional(),
      /** The most a percentage discount may take off, in major units (KEPCO caps its family discount). */
      capAmount: nonNegativeDecimal.optional(),
      /** Only customers with this eligibility get it (a subsidy); without it, everyone. */
      eligibility: name.optional(),
      rounding: roundingSchema.optional(),
    })
    .superRefine((value, ctx) => {
      if ((value.percent === undefined) === (value.amount === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['percent'],
          message: 'a discount has either a percent or an amount',
        });
      }
      if (value.percent !== undefined && (parseRate(value.percent) ?? 0n) > 100n * 10n ** 9n) {
        ctx.addIssue({
          code: 'custom',
          path: ['percent'],
          message: 'a discount cannot take more than 100 percent',
        });
      }
      if (value.percent !== undefined && value.of === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['of'],
          message: 'a percentage discount needs a base: the lines it is taken from',
        });
      }
    }),
  z.object({
    kind: z.literal('minimum'),
    id: lineId,
    label,
    /** When the lines named (all earlier lines if none) come to less, this line makes up the difference. */
    amount: nonNegativeDecimal,
    of: base.optional(),
    rounding: roundingSchema.optional(),
  }),
]);

export const tariffSchema = z
  .object({
    id: lineId,
    // A 32-bit column holds it; MAX_TARIFF_VERSION in shared/facts.ts says the same of bills.
    version: z.number().int().min(1).max(1_000_000),
    name: freeText(120).min(1),
    currency: currencySchema,
    effectiveFrom: isoDate,
    rounding: roundingSchema.default('half-up'),
    lineAmounts: lineAmountsSchema.default('rounded'),
    /**
     * The most kWh a day a customer of this tariff (its class: a home, a shop, a mill) is
     * expected to use: a meter with too little history of its own is judged against it, and a
     * reading above it asks the agent to confirm (shared/rules/reading.ts).
     */
    plausibleKwhPerDay: z.number().positive().max(1_000_000).optional(),
    /** Rounds the bill's total to a multiple of minor units, shown as a rounding line. */
    totalRounding: z
      .object({
        rule: roundingSchema,
        quantumMinor: z.number().int().min(1).max(TARIFF_LIMITS.quantumMinor),
      })
      .optional(),
    energy: z.array(energyComponentSchema).min(1).max(TARIFF_LIMITS.components),
    lifeline: z
      .object({
        allowanceKwh: thresholdKwh,
        /** lowest: the cheapest kWh are free; top: the dearest are. */
        takenFrom: z.enum(['lowest', 'top']),
        eligibility: name,
        label,
      })
      .optional(),
    charges: z.array(chargeSchema).max(TARIFF_LIMITS.charges).default([]),
    lateFee: z
      .object({
        percent: nonNegativeDecimal.optional(),
        amount: nonNegativeDecimal.optional(),
        graceDays: z.number().int().min(0).max(3660).default(0),
        rounding: roundingSchema.optional(),
      })
      .refine((fee) => (fee.percent === undefined) !== (fee.amount === undefined), {
        message: 'a late fee has either a percent or an amount',
      })
      .optional(),
  })
  .superRefine((tariff, ctx) => {
    const known = new Set(['energy', 'allowance']);
    tariff.charges.forEach((charge, index) => {
      if (known.has(charge.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['charges', index, 'id'],
          message: `the line id "${charge.id}" is used twice`,
        });
      }
      const of = 'of' in charge ? charge.of : undefined;
      of?.forEach((name, position) => {
        if (!known.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['charges', index, 'of', position],
            message: `missing base: "${name}" is not "energy", "allowance" or the id of an earlier charge`,
          });
        }
      });
      known.add(charge.id);
      if (
        tariff.lineAmounts === 'exact' &&
        'quantumMinor' in charge &&
        charge.quantumMinor !== undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['charges', index, 'quantumMinor'],
          message:
            'a tariff with exact lines rounds only its total: use totalRounding, not a quantum on a line',
        });
      }
    });
    const timeOfUse = tariff.energy.filter((component) => component.kind === 'time-of-use').length;
    if (timeOfUse > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['energy'],
        message: 'at most one time-of-use component',
      });
  });

export type TariffDocument = z.input<typeof tariffSchema>;
export type Tariff = z.output<typeof tariffSchema>;
export type EnergyComponent = z.output<typeof energyComponentSchema>;
export type Charge = z.output<typeof chargeSchema>;

/** kWh of usage, as a decimal string or a number: at most 3 decimals, at most the kWh limit. */
const usageKwh = z
  .union([z.string().max(TARIFF_LIMITS.decimalLength), z.number()])
  .refine((value) => parseKwh(value) !== undefined, {
    message: 'must be kWh, not negative, with at most 3 decimals',
  })
  .refine((value) => (parseKwh(value) ?? 0) <= TARIFF_LIMITS.kwh * 1000, {
    message: `must be at most ${TARIFF_LIMITS.kwh} kWh`,
  });

/** The longest period one bill may cover: five years, as a catch-up bill after years unread. */
export const MAX_BILL_PERIOD_DAYS = 1830;

const periodDays = (period: { from: string; to: string }) =>
  (Date.parse(`${period.to}T00:00:00Z`) - Date.parse(`${period.from}T00:00:00Z`)) / 86_400_000;

export const usageSchema = z.object({
  /** The billing period: from its first day to the day after its last (exclusive). */
  period: z
    .object({ from: isoDate, to: isoDate })
    .refine((p) => p.from < p.to, { message: 'the period must end after it starts', path: ['to'] })
    .refine((p) => periodDays(p) <= MAX_BILL_PERIOD_DAYS, {
      message: `a bill covers at most ${MAX_BILL_PERIOD_DAYS} days`,
      path: ['to'],
    }),
  kwh: usageKwh.optional(),
  registers: z
    .record(name, usageKwh)
    .refine((registers) => Object.keys(registers).length <= TARIFF_LIMITS.components, {
      message: `at most ${TARIFF_LIMITS.components} registers`,
    })
    .optional(),
  priorKwhThisYear: usageKwh.optional(),
  history: z.array(usageKwh).max(24).optional(),
  eligibility: z.array(name).max(TARIFF_LIMITS.components).default([]),
});

export type UsageInput = z.input<typeof usageSchema>;
export type Usage = z.output<typeof usageSchema>;

/**
 * The hub's environment, validated once at start-up. A bad value stops the hub with a message
 * that names the variable, instead of failing later in a request.
 */
import { z } from 'zod';
import {
  amountLimitsSchema,
  DEFAULT_DEVICE_SETTINGS,
  MAX_CONFIGURABLE_AMOUNT_MINOR,
} from '../shared/risk.ts';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** postgres://… to run on PostgreSQL (several hub processes may share it); unset: SQLite. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Connections each hub process keeps to PostgreSQL. */
  HUB_PG_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  HUB_DATA_DIR: z.string().min(1).default('./data'),
  /** Start even when the integrity check at start finds problems (they are printed). */
  HUB_START_DESPITE_PROBLEMS: z
    .enum(['0', '1'])
    .default('0')
    .transform((value) => value === '1'),
  HUB_STATIC_DIR: z.string().min(1).default('./dist/client'),
  HUB_DEMO: z.enum(['seed-when-empty', 'off']).default('seed-when-empty'),
  /** The demo's past: a month of field work synced by two demo tablets (`npm start`), or none. */
  HUB_DEMO_ACTIVITY: z.enum(['month', 'none']).default('none'),
  /** How many customers the demo seeds (half on each route): 200, or a realistic route for the bench. */
  HUB_DEMO_CUSTOMERS: z.coerce.number().int().min(2).max(100_000).default(200),
  /** Risk caps sent to devices: the most cash (minor units) a device may hold unsynced… */
  HUB_MAX_UNSYNCED_CASH_MINOR: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_DEVICE_SETTINGS.maxUnsyncedCashMinor),
  /** …the most days it may go without a successful sync… */
  HUB_MAX_DAYS_OFFLINE: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_DEVICE_SETTINGS.maxDaysOffline),
  /**
   * The most one payment or bill may carry, per currency, in minor units: `KES=50000000,USD=1000000`.
   * A currency not named keeps its default (DEFAULT_MAX_AMOUNT_MINOR in shared/risk.ts).
   */
  HUB_MAX_AMOUNT_MINOR: z
    .string()
    .default('')
    .transform((text, context) => {
      const limits: Record<string, number> = {};
      for (const part of text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)) {
        const [code, value] = part.split('=');
        limits[(code ?? '').trim()] = Number((value ?? '').trim());
      }
      const parsed = amountLimitsSchema.safeParse(limits);
      if (parsed.success) return parsed.data;
      context.addIssue({
        code: 'custom',
        message: `must be CURRENCY=minor units, comma separated, each 1 to ${MAX_CONFIGURABLE_AMOUNT_MINOR} (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`,
      });
      return z.NEVER;
    }),
  /** The origin browsers reach the hub at, behind a proxy (`https://gridtally.example.org`): passkeys are bound to it. */
  HUB_PUBLIC_ORIGIN: z.url().optional(),
  /**
   * The STS vending key of the hub's software vending module (docs/prepaid-tokens.md, "STS"):
   * 16 hexadecimal digits. Unset: the module's own key table, which the demo fills at seed.
   */
  HUB_STS_VENDING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hexadecimal digits (a 64-bit DES key)')
    .optional(),
  /** Serve the client's source maps (debugging only). */
  HUB_SERVE_SOURCE_MAPS: z
    .enum(['0', '1'])
    .default('0')
    .transform((value) => value === '1'),
  /** Behind a reverse proxy that appends the client's address to X-Forwarded-For. */
  HUB_TRUST_PROXY: z
    .enum(['0', '1'])
    .default('0')
    .transform((value) => value === '1'),
  /** Sessions: a supervisor's ends unused this many minutes, or this many hours after sign-in… */
  HUB_SUPERVISOR_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  HUB_SUPERVISOR_SESSION_HOURS: z.coerce.number().int().min(1).max(168).default(12),
  /** …an agent's unused this many days, or this many days after sign-in. */
  HUB_AGENT_IDLE_DAYS: z.coerce.number().int().min(1).max(90).default(14),
  HUB_AGENT_SESSION_DAYS: z.coerce.number().int().min(1).max(180).default(30),
  /**
   * Days after an online sign-in that a tablet may open its data with the agent's PIN alone
   * (docs/security.md, "The tablet's data at rest"); 0: only with the hub. At most the session.
   */
  HUB_AGENT_OFFLINE_UNLOCK_DAYS: z.coerce.number().int().min(0).max(180).default(14),
  /** …and how many days devices keep facts the hub acknowledged. */
  HUB_DEVICE_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_DEVICE_SETTINGS.retentionDays),
});

export type HubEnv = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv): HubEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`The hub's environment is invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

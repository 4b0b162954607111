/**
 * The hub's environment, validated once at start-up. A bad value stops the hub with a message
 * that names the variable, instead of failing later in a request.
 */
import { z } from 'zod';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  HUB_DATA_DIR: z.string().min(1).default('./data'),
  HUB_STATIC_DIR: z.string().min(1).default('./dist/client'),
  HUB_DEMO: z.enum(['seed-when-empty', 'off']).default('seed-when-empty'),
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

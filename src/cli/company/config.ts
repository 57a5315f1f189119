/**
 * The company's live configuration (warden/config): the bounds of its anomaly alerts, in a
 * `HotConfig` that outlives host incarnations. Each incarnation binds its monitors to it, so a
 * change (from `--config FILE`, followed while the company runs) reaches the running monitors
 * without a restart; a bad value is refused naming the field, and the bounds in force stay.
 */
import { z } from 'zod';

export const companyConfigSchema = z.strictObject({
  alerts: z.strictObject({
    /** Model spend per window (USD) over which `spend_rate` is raised. */
    spend: z.strictObject({ maxPerWindow: z.number().positive(), windowMs: z.number().int().positive() }),
    /** Restarts of one child per window over which `restart_rate` is raised. */
    restarts: z.strictObject({ maxRestarts: z.number().int().min(0), windowMs: z.number().int().positive() }),
  }),
});

export type CompanyConfig = z.infer<typeof companyConfigSchema>;

export const COMPANY_CONFIG_DEFAULTS: CompanyConfig = {
  alerts: {
    spend: { maxPerWindow: 0.0002, windowMs: 3_600_000 },
    restarts: { maxRestarts: 2, windowMs: 6 * 3_600_000 },
  },
};

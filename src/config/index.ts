/**
 * Live configuration and feature flags (`warden/config`, F28): a typed value checked by a zod
 * schema, changed while everything runs, from a watched JSON file, the store (one change reaches
 * every process on the database) or code. Policies, budgets
 * and schedulers are bound to a part of it and follow each change without a restart; a bad value
 * is refused naming the field and the old one stays; every change and refusal is an event and an
 * audit row.
 *
 * ```ts
 * import { z } from 'zod';
 * import { HotConfig, watchConfigFile } from 'warden/config';
 * import { Retry } from 'warden/resilience';
 *
 * const schema = z.strictObject({
 *   flags: z.strictObject({ newPlanner: z.boolean() }),
 *   retry: z.strictObject({ maxAttempts: z.number().int().min(1) }),
 * });
 * const config = new HotConfig({ name: 'app', schema, initial: { flags: { newPlanner: false }, retry: { maxAttempts: 3 } } });
 * const retry = new Retry({ name: 'search' });
 * config.bind('retry', retry);                       // retry.config.maxAttempts follows the file
 * const file = await watchConfigFile(config, './warden.config.json');
 * if (config.isEnabled('flags.newPlanner')) {
 *   // ...
 * }
 * file.close();
 * ```
 */
import './events.ts';
import './errors.ts';

export { HotConfig } from './hot-config.ts';
export type { HotConfigOptions, ApplyOptions, ConfigChange, Configurable, WatchOptions, DeepPartial } from './hot-config.ts';
export { watchConfigFile, CONFIG_FILE_DEFAULTS } from './config-file.ts';
export type { ConfigFileOptions, ConfigFileWatcher } from './config-file.ts';
export { watchStoredConfig, STORED_CONFIG_DEFAULTS } from './stored-config.ts';
export type { StoredConfigOptions, StoredConfigWatcher, StoredConfigValue } from './stored-config.ts';
export { ConfigFileError } from './errors.ts';

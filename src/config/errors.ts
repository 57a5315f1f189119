/**
 * The config layer's errors. A bad value is the runtime's `InvalidSpecError` (field and value
 * named), as everywhere in Warden; the one error of this layer's own is a config file that
 * cannot be read or is not JSON.
 *
 * | code | error | retryable |
 * |---|---|---|
 * | `CONFIG_FILE_UNREADABLE` | {@link ConfigFileError}: the file is missing, unreadable or not JSON | yes (fix the file) |
 */
import { WardenError } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    ConfigFileError: ConfigFileError;
  }
}

/** A config file could not be read or parsed; the config keeps its value. */
export class ConfigFileError extends WardenError<'CONFIG_FILE_UNREADABLE', { file: string; why: string }> {
  constructor(file: string, why: string, cause?: unknown) {
    super('CONFIG_FILE_UNREADABLE', `config file ${file}: ${why}; the configuration in force is kept`, { file, why }, { cause, retryable: true });
  }
}

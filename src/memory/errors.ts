/**
 * The memory layer's errors, each with a stable code (test with `isWardenError(e, 'CODE')`).
 * `EntityNotFoundError` keeps the reference server's message word for word, because clients
 * written for it show or match that text. The layer's codes are registered in `WardenErrorMap`,
 * so `isWardenError(e, 'MEMORY_INPUT')` narrows `e` to `MemoryInputError`.
 */
import { WardenError, showValue } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    EntityNotFoundError: EntityNotFoundError;
    MemoryInputError: MemoryInputError;
    MemoryLockTimeoutError: MemoryLockTimeoutError;
    MemoryFileError: MemoryFileError;
    MemoryDiskFullError: MemoryDiskFullError;
    MemoryUnavailableError: MemoryUnavailableError;
  }
}

/** `add_observations` named an entity that does not exist; nothing in the call was applied. */
export class EntityNotFoundError extends WardenError<'MEMORY_ENTITY_NOT_FOUND', { entityName: string }> {
  constructor(entityName: string) {
    super('MEMORY_ENTITY_NOT_FOUND', `Entity with name ${entityName} not found`, { entityName });
  }
}

/** A tool's input is malformed: `path` names the field (`entities[2].observations[0]`). Nothing was applied. */
export class MemoryInputError extends WardenError<'MEMORY_INPUT', { tool: string; path: string; why: string; value: unknown }> {
  constructor(tool: string, path: string, why: string, value: unknown) {
    super('MEMORY_INPUT', `${tool}: ${path === '' ? 'the input' : path} ${why} (got ${showValue(value)})`, { tool, path, why, value });
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), value: showValue(this.value) };
  }
}

/** The memory file's lock stayed held by a live process for longer than `timeoutMs`. Nothing was applied. */
export class MemoryLockTimeoutError extends WardenError<'MEMORY_LOCK_TIMEOUT', { lock: string; holder: string; timeoutMs: number }> {
  constructor(lock: string, holder: string, timeoutMs: number) {
    super(
      'MEMORY_LOCK_TIMEOUT',
      `${lock}: held by ${holder} for more than ${timeoutMs} ms; is another process stuck? (the lock is broken automatically once its holder is gone)`,
      { lock, holder, timeoutMs },
      { retryable: true },
    );
  }
}

/** Reading or writing the memory file failed (`operation` says which: read, append, compact, ...). */
export class MemoryFileError extends WardenError<'MEMORY_FILE', { file: string; operation: string }> {
  constructor(file: string, operation: string, cause: unknown) {
    super(
      'MEMORY_FILE',
      `${file}: cannot ${operation} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message ?? String(cause)})`,
      { file, operation },
      { cause },
    );
  }
}

/**
 * The disk holding the memory file is full (ENOSPC, or a full quota: EDQUOT) while `operation`
 * ran. Not a fault of the graph: the service answers the call with this error and keeps running,
 * reads go on, and writes succeed again as soon as there is room. Nothing of the call was
 * applied, unless `operation` is the sync of bytes already written (then it may or may not be).
 */
export class MemoryDiskFullError extends WardenError<'MEMORY_DISK_FULL', { file: string; operation: string }> {
  constructor(file: string, operation: string, cause: unknown) {
    const applied = operation === 'sync the file' ? 'the call may or may not have been applied' : 'nothing of the call was applied';
    super(
      'MEMORY_DISK_FULL',
      `${file}: cannot ${operation}: the disk is full (${(cause as NodeJS.ErrnoException).code ?? 'ENOSPC'}); ${applied}. ` +
        'Free some space: writes succeed again once there is room, and reads go on meanwhile',
      { file, operation },
      { cause, retryable: true },
    );
  }
}

/** The error for a failed file operation: `MemoryDiskFullError` when the disk is full, else `MemoryFileError`. */
export function memoryFileError(file: string, operation: string, cause: unknown): MemoryFileError | MemoryDiskFullError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? new MemoryDiskFullError(file, operation, cause) : new MemoryFileError(file, operation, cause);
}

/**
 * Whether a write failed because the disk is full (of the memory file, `MEMORY_DISK_FULL`, or of
 * the store, `STORE_FULL`): answered as an error, never a reason to stop the service.
 */
export function isDiskFullError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'MEMORY_DISK_FULL' || code === 'STORE_FULL';
}

/** The memory service is not running (it is restarting, or it gave up). The call was not applied. */
export class MemoryUnavailableError extends WardenError<'MEMORY_UNAVAILABLE'> {
  constructor(why: string, options?: { cause?: unknown }) {
    super('MEMORY_UNAVAILABLE', `memory service unavailable: ${why}`, undefined, { ...options, retryable: true });
  }
}

/** Errors that are the caller's (bad input, a missing entity): the service answers them and keeps running. */
export function isCallerError(e: unknown): boolean {
  return (
    e instanceof EntityNotFoundError ||
    e instanceof MemoryInputError ||
    (e as { code?: unknown } | null)?.code === 'MEMORY_ENTITY_NOT_FOUND' ||
    (e as { code?: unknown } | null)?.code === 'MEMORY_INPUT'
  );
}

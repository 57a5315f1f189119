/**
 * The memory layer's errors, each with a stable code (test with `isWardenError(e, 'CODE')`).
 * `EntityNotFoundError` keeps the reference server's message word for word, because clients
 * written for it show or match that text.
 */
import { WardenError, showValue } from '../runtime/index.ts';

/** `add_observations` named an entity that does not exist; nothing in the call was applied. */
export class EntityNotFoundError extends WardenError {
  readonly code = 'MEMORY_ENTITY_NOT_FOUND';
  readonly entityName: string;

  constructor(entityName: string) {
    super(`Entity with name ${entityName} not found`);
    this.entityName = entityName;
  }

  protected override details(): Record<string, unknown> {
    return { entityName: this.entityName };
  }
}

/** A tool's input is malformed: `path` names the field (`entities[2].observations[0]`). Nothing was applied. */
export class MemoryInputError extends WardenError {
  readonly code = 'MEMORY_INPUT';
  readonly tool: string;
  readonly path: string;
  readonly why: string;
  readonly value: unknown;

  constructor(tool: string, path: string, why: string, value: unknown) {
    super(`${tool}: ${path === '' ? 'the input' : path} ${why} (got ${showValue(value)})`);
    this.tool = tool;
    this.path = path;
    this.why = why;
    this.value = value;
  }

  protected override details(): Record<string, unknown> {
    return { tool: this.tool, path: this.path, why: this.why, value: showValue(this.value) };
  }
}

/** The memory file's lock stayed held by a live process for longer than `timeoutMs`. Nothing was applied. */
export class MemoryLockTimeoutError extends WardenError {
  readonly code = 'MEMORY_LOCK_TIMEOUT';
  override readonly retryable = true;
  readonly lock: string;
  readonly holder: string;
  readonly timeoutMs: number;

  constructor(lock: string, holder: string, timeoutMs: number) {
    super(`${lock}: held by ${holder} for more than ${timeoutMs} ms; is another process stuck? (the lock is broken automatically once its holder is gone)`);
    this.lock = lock;
    this.holder = holder;
    this.timeoutMs = timeoutMs;
  }

  protected override details(): Record<string, unknown> {
    return { lock: this.lock, holder: this.holder, timeoutMs: this.timeoutMs };
  }
}

/** Reading or writing the memory file failed (`operation` says which: read, append, compact, ...). */
export class MemoryFileError extends WardenError {
  readonly code = 'MEMORY_FILE';
  readonly file: string;
  readonly operation: string;

  constructor(file: string, operation: string, cause: unknown) {
    super(`${file}: cannot ${operation} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message ?? String(cause)})`, { cause });
    this.file = file;
    this.operation = operation;
  }

  protected override details(): Record<string, unknown> {
    return { file: this.file, operation: this.operation };
  }
}

/**
 * The disk holding the memory file is full (ENOSPC, or a full quota: EDQUOT) while `operation`
 * ran. Not a fault of the graph: the service answers the call with this error and keeps running,
 * reads go on, and writes succeed again as soon as there is room. Nothing of the call was
 * applied, unless `operation` is the sync of bytes already written (then it may or may not be).
 */
export class MemoryDiskFullError extends WardenError {
  readonly code = 'MEMORY_DISK_FULL';
  override readonly retryable = true;
  readonly file: string;
  readonly operation: string;

  constructor(file: string, operation: string, cause: unknown) {
    const applied = operation === 'sync the file' ? 'the call may or may not have been applied' : 'nothing of the call was applied';
    super(
      `${file}: cannot ${operation}: the disk is full (${(cause as NodeJS.ErrnoException).code ?? 'ENOSPC'}); ${applied}. ` +
        'Free some space: writes succeed again once there is room, and reads go on meanwhile',
      { cause },
    );
    this.file = file;
    this.operation = operation;
  }

  protected override details(): Record<string, unknown> {
    return { file: this.file, operation: this.operation };
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
export class MemoryUnavailableError extends WardenError {
  readonly code = 'MEMORY_UNAVAILABLE';
  override readonly retryable = true;

  constructor(why: string, options?: { cause?: unknown }) {
    super(`memory service unavailable: ${why}`, options);
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

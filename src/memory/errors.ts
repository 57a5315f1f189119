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
  return e instanceof EntityNotFoundError || e instanceof MemoryInputError ||
    ((e as { code?: unknown } | null)?.code === 'MEMORY_ENTITY_NOT_FOUND' || (e as { code?: unknown } | null)?.code === 'MEMORY_INPUT');
}

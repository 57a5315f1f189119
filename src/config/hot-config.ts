/**
 * Live configuration (F28): one typed value, checked by a zod schema, that can be replaced while
 * everything runs. Policies, budgets, model choice, schedules and feature flags read it or are
 * bound to a part of it, and follow each change without a restart.
 *
 * Guarantees:
 * - a value is in force only once the schema accepted it whole; a bad value is refused with an
 *   `InvalidSpecError` naming the field (`policies.retry.maxAttempts`) and the old value stays;
 * - a change is all or nothing: watchers and bound targets are told in the order they were
 *   added, and if one refuses (throws) every one told before it is given the old value back,
 *   the old value stays, and the refusal is reported naming the field;
 * - the value in force is deeply frozen, so no reader can change it behind the others' backs;
 * - every change and every refusal is an event (`config.changed`, `config.rejected`) and, with
 *   an `audit` store, an audit row (action `config.changed` / `config.rejected`, subject
 *   `config:<name>`), written in the order they happened; values under `secretPaths` appear in
 *   neither, nor in the refusal's error.
 */
import { z } from 'zod';
import { InvalidSpecError, disposable, isWardenError, realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { AuditStore, Json } from '../store/index.ts';
import { changedPaths, deepFreeze, isPlainObject, sameData, valueAtPath } from './changed-paths.ts';

const REDACTED = '[redacted]';

export interface HotConfigOptions<T, I = T> {
  /** Name in events, errors and audit rows (`config:<name>`). */
  readonly name: string;
  /** The whole value's schema. Use `z.strictObject` to refuse unknown fields. */
  readonly schema: z.ZodType<T, I>;
  /** The value in force at start; a bad one throws `InvalidSpecError` and nothing is built. */
  readonly initial: I;
  /** @default realClock */
  readonly clock?: Clock;
  /** Where `config.changed` / `config.rejected` are reported. @default none */
  readonly bus?: EventBus;
  /** Where every change and refusal is recorded. @default none */
  readonly audit?: AuditStore;
  /** Who made a change when `apply` is not told. @default 'warden' */
  readonly actor?: string;
  /** Dotted paths (and everything under them) whose values never appear in events, audit rows or errors. @default [] */
  readonly secretPaths?: readonly string[];
}

/** Who made a change and where it came from. */
export interface ApplyOptions {
  /** Where the value came from: `file:/etc/app.json`, `store`, `api`. @default 'api' */
  readonly source?: string;
  /** @default the config's `actor` */
  readonly actor?: string;
  /** Recorded in the audit row. */
  readonly reason?: string;
}

/** What `apply` did. `changed` is empty (and the version the same) when the value was already in force. */
export interface ConfigChange<T> {
  readonly version: number;
  readonly changed: readonly string[];
  readonly previous: T;
  readonly current: T;
}

/** Anything tuned live with `configure(patch)`: every resilience policy, a `Budget`, a scheduler. */
export interface Configurable {
  configure(patch: never): void;
}

export interface WatchOptions {
  /** The dotted path the selected part lives at, used to name the field when the listener refuses a value. @default '' */
  readonly field?: string;
  /** Call the listener at once with the value in force. @default false */
  readonly immediate?: boolean;
}

interface Watcher<T> {
  readonly select: (value: T) => unknown;
  readonly listener: (value: unknown, previous: unknown) => void;
  readonly field: string;
}

const optionsSchema = z.object({
  name: z.string().min(1),
  schema: z.custom<z.ZodType>((v) => typeof (v as z.ZodType | undefined)?.safeParse === 'function', { message: 'must be a zod schema' }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  bus: z
    .custom<EventBus>((v) => typeof (v as EventBus | undefined)?.emit === 'function' && typeof (v as EventBus).wants === 'function', {
      message: 'must be an EventBus',
    })
    .optional(),
  audit: z
    .custom<AuditStore>((v) => typeof (v as AuditStore | undefined)?.appendAudit === 'function', { message: 'must be an AuditStore (appendAudit)' })
    .optional(),
  actor: z.string().min(1).optional(),
  secretPaths: z.array(z.string()).optional(),
});

export class HotConfig<T, I = T> {
  readonly name: string;
  private readonly subject: string;
  private readonly schema: z.ZodType;
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly audit: AuditStore | undefined;
  private readonly actor: string;
  private readonly secretPaths: readonly string[];
  private value: T;
  private versionNumber = 1;
  private watchers: readonly Watcher<T>[] = [];
  /** Audit writes, chained so rows land in the order things happened. */
  private auditTail: Promise<void> = Promise.resolve();

  constructor(options: HotConfigOptions<T, I>) {
    const subject = typeof options?.name === 'string' ? `config "${options.name}"` : 'config';
    const o = parseWith(subject, optionsSchema, options);
    this.name = o.name;
    this.subject = subject;
    this.schema = o.schema;
    this.clock = o.clock ?? realClock;
    this.bus = o.bus;
    this.audit = o.audit;
    this.actor = o.actor ?? 'warden';
    this.secretPaths = o.secretPaths ?? [];
    this.value = deepFreeze(this.parse(options.initial) as T);
  }

  /** The value in force (deeply frozen). */
  get current(): T {
    return this.value;
  }

  /** 1 at start, one more per change that changed something. */
  get version(): number {
    return this.versionNumber;
  }

  /** The value at a dotted path of the value in force (`flags.newPlanner`). */
  get(path: string): unknown {
    return valueAtPath(this.value, path);
  }

  /** A feature flag: true only if the value at `path` is `true`. */
  isEnabled(path: string): boolean {
    return this.get(path) === true;
  }

  /** Check `next` against the schema without applying it: the parsed value, or `InvalidSpecError` naming the field. */
  check(next: unknown): T {
    return this.parse(next) as T;
  }

  /**
   * Put `next` in force if the schema accepts it and no watcher refuses it. Throws
   * `InvalidSpecError` naming the field otherwise, and the value in force stays. Resolves once
   * the change (or refusal) is in the audit store.
   */
  async apply(next: unknown, options: ApplyOptions = {}): Promise<ConfigChange<T>> {
    const source = options.source ?? 'api';
    const actor = options.actor ?? this.actor;
    let parsed: T;
    try {
      parsed = this.parse(next) as T;
    } catch (error) {
      await this.refuse(error, source, actor, options.reason);
      throw error;
    }
    const previous = this.value;
    const changed = changedPaths(previous, parsed);
    if (changed.length === 0) return { version: this.versionNumber, changed, previous, current: previous };
    const current = deepFreeze(parsed);
    try {
      this.switchTo(previous, current);
    } catch (error) {
      await this.refuse(error, source, actor, options.reason);
      throw error;
    }
    this.versionNumber++;
    const version = this.versionNumber;
    if (this.bus?.wants('config.changed')) this.bus.emit({ type: 'config.changed', config: this.name, source, actor, version, changed });
    const values: Record<string, Json> = {};
    for (const path of changed) values[path] = this.shown(path, valueAtPath(current, path));
    await this.record('config.changed', actor, source, options.reason, { version, changed: [...changed], values });
    return { version, changed, previous, current };
  }

  /** `apply` the value in force with `patch` merged over it (objects merged key by key, anything else replaced). */
  patch(patch: DeepPartial<T>, options: ApplyOptions = {}): Promise<ConfigChange<T>> {
    return this.apply(mergeDeep(this.value, patch), options);
  }

  /**
   * Call `listener(value, previous)` whenever the part `select` picks changes (compared as data).
   * A listener that throws refuses the change: see the module comment.
   */
  watch<V>(select: (config: T) => V, listener: (value: V, previous: V) => void, options: WatchOptions = {}): Disposable {
    const watcher: Watcher<T> = { select, listener: listener as Watcher<T>['listener'], field: options.field ?? '' };
    if (options.immediate === true) listener(select(this.value), select(this.value));
    this.watchers = [...this.watchers, watcher];
    return disposable(() => {
      this.watchers = this.watchers.filter((w) => w !== watcher);
    });
  }

  /**
   * Keep `target` configured with the part of the config at `path` (`policies.retry`): it is
   * configured now (a refusal throws, naming the field) and again on every change of that part;
   * a target that refuses a change refuses it for the whole config.
   */
  bind(path: string, target: Configurable): Disposable {
    const configure = (value: unknown): void => (target.configure as (patch: unknown) => void).call(target, value);
    try {
      configure(valueAtPath(this.value, path));
    } catch (error) {
      throw this.named(error, path);
    }
    return this.watch((c) => valueAtPath(c, path), configure, { field: path });
  }

  /**
   * Report that a source offered something that could not be applied and was not a value at all
   * (a file that is not JSON: `field` `(file)`): a `config.rejected` event and an audit row; the
   * value in force stays.
   */
  reportRefused(field: string, why: string, options: ApplyOptions = {}): Promise<void> {
    return this.refuse(new InvalidSpecError(this.subject, field, undefined, why), options.source ?? 'api', options.actor ?? this.actor, options.reason);
  }

  /** Resolves once every audit row written so far is stored. */
  flushed(): Promise<void> {
    return this.auditTail;
  }

  private parse(input: unknown): unknown {
    try {
      return parseWith(this.subject, this.schema, input);
    } catch (error) {
      throw this.named(error, '');
    }
  }

  /** Tell the watchers of each changed part, in order; if one throws, give the old value back to those told and rethrow. */
  private switchTo(previous: T, current: T): void {
    const told: Watcher<T>[] = [];
    this.value = current;
    for (const w of this.watchers) {
      const before = w.select(previous);
      const after = w.select(current);
      if (sameData(before, after)) continue;
      try {
        w.listener(after, before);
        told.push(w);
      } catch (error) {
        this.value = previous;
        for (const t of told.reverse()) {
          try {
            t.listener(t.select(previous), t.select(current));
          } catch {
            // It took the new value; it must take the old one back. If it cannot, there is nothing better to do than go on.
          }
        }
        throw this.named(error, w.field);
      }
    }
  }

  /** The error as an `InvalidSpecError` of this config, its field prefixed with `at`, and its value hidden under a secret path. */
  private named(error: unknown, at: string): unknown {
    if (!isWardenError(error, 'INVALID_SPEC')) {
      const why = error instanceof Error ? `was refused: ${error.message}` : 'was refused';
      return new InvalidSpecError(this.subject, at, this.shown(at, valueAtPath(this.value, at)), why);
    }
    const field = at === '' ? error.path : error.path === '' ? at : `${at}.${error.path}`;
    if (at === '' && error.subject === this.subject && !this.isSecret(field)) return error;
    return new InvalidSpecError(this.subject, field, this.isSecret(field) ? REDACTED : error.value, error.why);
  }

  private async refuse(error: unknown, source: string, actor: string, reason: string | undefined): Promise<void> {
    const field = isWardenError(error, 'INVALID_SPEC') ? error.path : '';
    const why = isWardenError(error, 'INVALID_SPEC') ? error.why : error instanceof Error ? error.message : String(error);
    const version = this.versionNumber;
    if (this.bus?.wants('config.rejected')) this.bus.emit({ type: 'config.rejected', config: this.name, source, actor, field, reason: why, version });
    await this.record('config.rejected', actor, source, reason, { field, why, version });
  }

  private record(action: string, actor: string, source: string, reason: string | undefined, details: Json): Promise<void> {
    const audit = this.audit;
    if (audit === undefined) return Promise.resolve();
    const entry = { at: this.clock.now(), actor, action, subject: `config:${this.name}`, reason: reason ?? `from ${source}`, details };
    this.auditTail = this.auditTail.then(() =>
      audit.appendAudit(entry).then(
        () => undefined,
        (error: unknown) => {
          if (this.bus?.wants('config.audit_failed')) this.bus.emit({ type: 'config.audit_failed', config: this.name, action, error });
        },
      ),
    );
    return this.auditTail;
  }

  private isSecret(path: string): boolean {
    return this.secretPaths.some((s) => path === s || path.startsWith(`${s}.`) || s.startsWith(path === '' ? '' : `${path}.`));
  }

  /** A value as events and audit rows show it. */
  private shown(path: string, value: unknown): Json {
    if (this.isSecret(path)) return REDACTED;
    return (value === undefined ? null : value) as Json;
  }
}

/** Every field optional, all the way down. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

function mergeDeep(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = mergeDeep(base[k], v);
  return out;
}

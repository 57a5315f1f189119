/**
 * `defineSchedule(spec)`: a schedule checked and resolved when it is built. Exactly one timing
 * (`cron` with an optional `timeZone`, `everyMs`, or `at`), the policies with their defaults
 * (`SCHEDULE_DEFAULTS`), start and end dates. Anything wrong (a cron croner cannot parse or that
 * never fires, an unknown time zone, a negative interval, two timings) is an `InvalidSpecError`
 * naming the field and the value, and nothing is written.
 */
import { z } from 'zod';
import type { RunDefinition } from '../durable/index.ts';
import { toJournalJson } from '../durable/index.ts';
import { InvalidSpecError } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Json } from '../store/index.ts';
import { cronOf } from './slot-times.ts';
import { CATCH_UP_POLICIES, OVERLAP_POLICIES, type CatchUpPolicy, type OverlapPolicy, type Schedule, type SlotInput, type Timing } from './types.ts';

/** A time: clock ms, a `Date`, or an ISO 8601 string with its offset (`2026-12-24T18:00:00Z`). */
export type TimeInput = number | Date | string;

export interface ScheduleSpec<I = Json> {
  /** The schedule's id in the store: 1-128 letters, digits, `.`, `_`, `:` or `-`. */
  readonly id: string;
  /** The durable run each slot starts: a `defineRun` result (its input is a `SlotInput`) or its name. */
  // biome-ignore lint/suspicious/noExplicitAny: any output
  readonly run: RunDefinition<SlotInput<I>, any> | string;
  /** A cron expression (5 fields, or 6 with seconds), read by croner. */
  readonly cron?: string;
  /** The IANA time zone the cron expression is read in. @default 'UTC' */
  readonly timeZone?: string;
  /** Fire every this many ms, at `anchor + k * everyMs`. */
  readonly everyMs?: number;
  /** Where the interval's slots are counted from. @default startAt, else 0 (the Unix epoch) */
  readonly anchor?: TimeInput;
  /** Fire once, at this time. */
  readonly at?: TimeInput;
  /** Passed to every slot's run as `input`. @default null */
  readonly input?: I;
  /** Slots that came due while no scheduler ran, later than `graceMs`. @default 'latest' */
  readonly catchUp?: CatchUpPolicy;
  /** Under `catchUp: 'all'`, run at most this many overdue slots (the latest). @default 10 */
  readonly catchUpLimit?: number;
  /** A slot found this late is overdue (the catch-up policy decides); earlier it just runs. @default 60_000 */
  readonly graceMs?: number;
  /** When the previous slot still runs. @default 'skip' */
  readonly overlap?: OverlapPolicy;
  /** Under `overlap: 'queue'`, most slots waiting; more are missed (`queue_full`). @default 10 */
  readonly queueLimit?: number;
  /** Start each slot up to this many ms after its time, drawn from the scheduler's `random`. @default 0 */
  readonly jitterMs?: number;
  /** No slot before this time. @default none */
  readonly startAt?: TimeInput;
  /** No slot after this time. @default none */
  readonly endAt?: TimeInput;
  readonly description?: string;
}

/** The run definition a schedule was defined with (when given as an object), so a scheduler can register it on its host. */
// biome-ignore lint/suspicious/noExplicitAny: any input and output
const definitions = new WeakMap<Schedule, RunDefinition<any, any>>();

/** The `defineRun` result `schedule` was defined with, if it was given one (not just a name). */
// biome-ignore lint/suspicious/noExplicitAny: any input and output
export function runDefinitionOf(schedule: Schedule): RunDefinition<any, any> | undefined {
  return definitions.get(schedule);
}

export const SCHEDULE_DEFAULTS = Object.freeze({
  timeZone: 'UTC',
  catchUp: 'latest' as CatchUpPolicy,
  catchUpLimit: 10,
  graceMs: 60_000,
  overlap: 'skip' as OverlapPolicy,
  queueLimit: 10,
  jitterMs: 0,
});

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const time = z.union([z.number().finite(), z.date(), z.string().min(1)]);

const specSchema = z.strictObject({
  id: z.string().regex(ID, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit'),
  run: z.union([
    z.string().min(1),
    z.custom<RunDefinition>((v) => typeof v === 'object' && v !== null && typeof (v as RunDefinition).fn === 'function', {
      message: 'must be a defineRun(...) result or its name',
    }),
  ]),
  cron: z.string().min(1).optional(),
  timeZone: z.string().min(1).optional(),
  everyMs: z.number().int().min(1).optional(),
  anchor: time.optional(),
  at: time.optional(),
  input: z.unknown().optional(),
  catchUp: z.enum(CATCH_UP_POLICIES as [CatchUpPolicy, ...CatchUpPolicy[]]).optional(),
  catchUpLimit: z.number().int().min(1).max(10_000).optional(),
  graceMs: z.number().int().min(0).optional(),
  overlap: z.enum(OVERLAP_POLICIES as [OverlapPolicy, ...OverlapPolicy[]]).optional(),
  queueLimit: z.number().int().min(1).max(10_000).optional(),
  jitterMs: z.number().int().min(0).optional(),
  startAt: time.optional(),
  endAt: time.optional(),
  description: z.string().optional(),
});

/**
 * Check and resolve a schedule.
 *
 * @example
 * ```ts
 * const nightly = defineSchedule({ id: 'nightly-digest', run: digest, cron: '0 3 * * *', timeZone: 'Europe/Berlin', overlap: 'skip' });
 * const heartbeat = defineSchedule({ id: 'heartbeat', run: 'ping', everyMs: 60_000, catchUp: 'skip' });
 * const launch = defineSchedule({ id: 'launch', run: announce, at: '2026-12-24T18:00:00Z' });
 * ```
 */
export function defineSchedule<I = Json>(spec: ScheduleSpec<I>): Schedule {
  const subject = `schedule "${typeof spec === 'object' && spec !== null && typeof spec.id === 'string' ? spec.id : '?'}"`;
  const o = parseWith(subject, specSchema, spec);
  const fail = (path: string, value: unknown, why: string): never => {
    throw new InvalidSpecError(subject, path, value, why);
  };
  const timings = (['cron', 'everyMs', 'at'] as const).filter((k) => o[k] !== undefined);
  if (timings.length !== 1) {
    fail(timings[1] ?? 'cron', timings.length === 0 ? undefined : o[timings[1]!], 'must be given: exactly one of cron, everyMs and at');
  }
  if (o.timeZone !== undefined && o.cron === undefined) fail('timeZone', o.timeZone, 'applies to cron only');
  if (o.anchor !== undefined && o.everyMs === undefined) fail('anchor', o.anchor, 'applies to everyMs only');
  const startAt = o.startAt === undefined ? undefined : toMs(o.startAt, 'startAt', fail);
  const endAt = o.endAt === undefined ? undefined : toMs(o.endAt, 'endAt', fail);
  if (startAt !== undefined && endAt !== undefined && endAt < startAt)
    fail('endAt', o.endAt, `must not be before startAt (${new Date(startAt).toISOString()})`);
  const timing = resolveTiming(o, startAt, fail);
  const checked = toJournalJson(o.input ?? null);
  if ('problem' in checked) fail(`input${checked.problem.path.slice(1)}`, o.input, checked.problem.why);
  const schedule: Schedule = Object.freeze({
    id: o.id,
    runName: typeof o.run === 'string' ? o.run : o.run.name,
    timing: Object.freeze(timing),
    input: JSON.parse((checked as { json: string }).json) as Json,
    catchUp: o.catchUp ?? SCHEDULE_DEFAULTS.catchUp,
    catchUpLimit: o.catchUpLimit ?? SCHEDULE_DEFAULTS.catchUpLimit,
    graceMs: o.graceMs ?? SCHEDULE_DEFAULTS.graceMs,
    overlap: o.overlap ?? SCHEDULE_DEFAULTS.overlap,
    queueLimit: o.queueLimit ?? SCHEDULE_DEFAULTS.queueLimit,
    jitterMs: o.jitterMs ?? SCHEDULE_DEFAULTS.jitterMs,
    startAt,
    endAt,
    ...(o.description === undefined ? {} : { description: o.description }),
  }) as Schedule;
  if (typeof o.run !== 'string') definitions.set(schedule, o.run);
  return schedule;
}

type Fail = (path: string, value: unknown, why: string) => never;

function resolveTiming(o: z.output<typeof specSchema>, startAt: number | undefined, fail: Fail): Timing {
  if (o.everyMs !== undefined) {
    const anchorMs = o.anchor === undefined ? (startAt ?? 0) : toMs(o.anchor, 'anchor', fail);
    return { kind: 'every', everyMs: o.everyMs, anchorMs };
  }
  if (o.at !== undefined) return { kind: 'once', at: toMs(o.at, 'at', fail) };
  const cron = o.cron!;
  const timeZone = o.timeZone ?? SCHEDULE_DEFAULTS.timeZone;
  if (!isTimeZone(timeZone)) fail('timeZone', timeZone, 'is not a time zone this Node.js knows (an IANA name such as "Europe/Berlin", or "UTC")');
  let job: ReturnType<typeof cronOf>;
  try {
    job = cronOf(cron, timeZone);
  } catch (e) {
    return fail('cron', cron, `is not a cron expression croner accepts: ${(e as Error).message}`);
  }
  if (job.nextRun(new Date(startAt ?? Date.UTC(2000, 0, 1))) === null) fail('cron', cron, 'never fires (no such date)');
  return { kind: 'cron', cron, timeZone };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A time input as clock ms. Strings must be ISO 8601 with a date; a missing offset is read as UTC. */
function toMs(value: TimeInput, path: string, fail: Fail): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? fail(path, value, 'is an invalid Date') : ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return fail(path, value, 'must be an ISO 8601 time such as "2026-12-24T18:00:00Z"');
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T');
  const ms = Date.parse(hasOffset ? value : `${value}Z`);
  return Number.isNaN(ms) ? fail(path, value, 'must be an ISO 8601 time such as "2026-12-24T18:00:00Z"') : ms;
}

/**
 * The health layer's options, their defaults and their checks. Everything is validated when
 * `startHealth` is called, before anything starts: a bad field is an `InvalidSpecError` naming
 * it (`probes[0].intervalMs`) and the value it got.
 */
import { z } from 'zod';
import { InvalidSpecError, type Dest, type Runtime } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { CircuitBreaker } from '../resilience/index.ts';
import type { MovableLadder } from './level-ladder.ts';

/** What a failing probe or a low quality score does. Every action is reported as `health.action_taken`. */
export type HealthAction =
  /** Report the child unhealthy (and `/readyz` 503) until the probe passes again. */
  | { readonly kind: 'mark_unhealthy' }
  /**
   * Terminate the child and start it again through its supervisor (`terminateChild`, then
   * `restartChild`). `supervisor` is its pid or registered name (`startSupervisor(rt, spec, { register })`).
   */
  | { readonly kind: 'restart'; readonly supervisor: Dest; readonly childId: string }
  /** Terminate the child through its supervisor and leave it stopped. */
  | { readonly kind: 'terminate'; readonly supervisor: Dest; readonly childId: string }
  /**
   * Move the ladder one level down. With `restoreAfterPasses`, move it back up one level after
   * that many passes in a row (for a monitor: when the score is back at its minimum).
   */
  | { readonly kind: 'degrade'; readonly ladder: MovableLadder; readonly restoreAfterPasses?: number };

/** The answer a probe checks: an agent's result has both. */
export interface ProbeAnswer {
  readonly output: unknown;
  readonly text: string;
}

/** What a known-answer probe asks: an agent (`defineAgent(...)`) or anything that runs a question the same way. */
export interface ProbeTarget {
  run(input: string, options?: { readonly signal?: AbortSignal; readonly runId?: string }): PromiseLike<ProbeAnswer>;
}

/** L3: a question with a known answer, asked through the real agent on a schedule. */
export interface KnownAnswerProbeOptions {
  /** Name in events and the report (unique among probes). */
  readonly name: string;
  readonly agent: ProbeTarget;
  readonly question: string;
  /**
   * The known answer: a string the answer's text must contain (case-insensitive), a RegExp it
   * must match, or a predicate over the answer.
   */
  readonly expect: string | RegExp | ((answer: ProbeAnswer) => boolean);
  /** The child this probe speaks for (the report's `unhealthy` list). @default the probe's name */
  readonly child?: string;
  /** Time from the end of one run to the start of the next. @default 60_000 */
  readonly intervalMs?: number;
  /** Time before the first run. @default 0 */
  readonly initialDelayMs?: number;
  /** A run taking longer fails with `timeout` (its signal is aborted). @default 30_000 */
  readonly timeoutMs?: number;
  /** Failures in a row before the actions run (and again after each further such run of failures). @default 1 */
  readonly failureThreshold?: number;
  /** @default [{ kind: 'mark_unhealthy' }] */
  readonly actions?: readonly HealthAction[];
}

/** L4: a rolling quality score of one agent, from its events and from graders. */
export interface QualityMonitorOptions {
  /** Name in events and the report (unique among monitors). */
  readonly name: string;
  /** The agent (its `name` in `agent.*` events) whose runs are scored. */
  readonly agent: string;
  /** The child this monitor speaks for. @default the agent's name */
  readonly child?: string;
  /** Samples kept (the newest). @default 50 */
  readonly windowSize?: number;
  /** No verdict with fewer samples. @default 10 */
  readonly minSamples?: number;
  /** A score below this is `low` and runs the actions. @default 0.8 */
  readonly minScore?: number;
  /** @default [{ kind: 'mark_unhealthy' }] */
  readonly actions?: readonly HealthAction[];
}

/** L2: something the process needs in order to serve. */
export type ReadinessCheck =
  /** The store answers a read (`getRun` of an id no run has). */
  | { readonly kind: 'store'; readonly name?: string; readonly store: { getRun(id: string): PromiseLike<unknown> }; readonly timeoutMs?: number }
  /** An HTTP endpoint (a model server) answers a GET with any status below 500. */
  | {
      readonly kind: 'endpoint';
      readonly name?: string;
      readonly url: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly timeoutMs?: number;
    }
  /** Not every breaker is open (a model client's `breakers`; undefined entries are models without one). */
  | { readonly kind: 'breakers'; readonly name?: string; readonly breakers: readonly (CircuitBreaker | undefined)[] }
  /** Your own check: ready unless it throws or answers `false`. */
  | { readonly kind: 'check'; readonly name: string; readonly check: (signal: AbortSignal) => unknown; readonly timeoutMs?: number };

export interface HealthServerOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface HealthOptions {
  /** The runtime whose clock, event stream and supervisors the health uses. */
  readonly runtime: Runtime;
  /** Name in events and the report. @default 'health' */
  readonly name?: string;
  /** L1: the health's own process must answer a call within this time. @default 1_000 */
  readonly livenessTimeoutMs?: number;
  /** L2 checks. @default [] */
  readonly readiness?: readonly ReadinessCheck[];
  /** L3 known-answer probes. @default [] */
  readonly probes?: readonly KnownAnswerProbeOptions[];
  /** L4 quality monitors. @default [] */
  readonly quality?: readonly QualityMonitorOptions[];
  /** Ladders to show in the report, besides those the actions move. @default [] */
  readonly ladders?: readonly MovableLadder[];
  /** Serve `/healthz` and `/readyz` on an admin port. @default not served */
  readonly admin?: HealthServerOptions;
}

export const HEALTH_DEFAULTS = Object.freeze({
  name: 'health',
  livenessTimeoutMs: 1_000,
  readinessTimeoutMs: 2_000,
});

export const HEALTH_PROBE_DEFAULTS = Object.freeze({ intervalMs: 60_000, initialDelayMs: 0, timeoutMs: 30_000, failureThreshold: 1 });

export const QUALITY_MONITOR_DEFAULTS = Object.freeze({ windowSize: 50, minSamples: 10, minScore: 0.8 });

export const HEALTH_SERVER_DEFAULTS = Object.freeze({ port: 0, host: '127.0.0.1' });

const fn = <F>() => z.custom<F>((v) => typeof v === 'function', { message: 'must be a function' });
const ms = z.number().finite().min(0);
const positiveMs = z.number().finite().gt(0);
const dest = z.union([z.string().min(1), z.custom<Dest>((v) => typeof v === 'object' && v !== null, { message: 'must be a pid or a registered name' })]);
const ladder = z.custom<MovableLadder>(
  (v) => typeof v === 'object' && v !== null && typeof (v as MovableLadder).stepDown === 'function' && typeof (v as MovableLadder).stepUp === 'function',
  { message: 'must be a ladder (stepDown, stepUp)' },
);

const actionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mark_unhealthy') }),
  z.strictObject({ kind: z.literal('restart'), supervisor: dest, childId: z.string().min(1) }),
  z.strictObject({ kind: z.literal('terminate'), supervisor: dest, childId: z.string().min(1) }),
  z.strictObject({ kind: z.literal('degrade'), ladder, restoreAfterPasses: z.number().int().min(1).optional() }),
]);

const probeSchema = z.strictObject({
  name: z.string().min(1),
  agent: z.custom<ProbeTarget>((v) => typeof v === 'object' && v !== null && typeof (v as ProbeTarget).run === 'function', {
    message: 'must be an agent (run(question))',
  }),
  question: z.string().min(1),
  expect: z.union([z.string().min(1), z.instanceof(RegExp), fn<(answer: ProbeAnswer) => boolean>()]),
  child: z.string().min(1).optional(),
  intervalMs: positiveMs.optional(),
  initialDelayMs: ms.optional(),
  timeoutMs: positiveMs.optional(),
  failureThreshold: z.number().int().min(1).optional(),
  actions: z.array(actionSchema).optional(),
});

const monitorSchema = z
  .strictObject({
    name: z.string().min(1),
    agent: z.string().min(1),
    child: z.string().min(1).optional(),
    windowSize: z.number().int().min(1).optional(),
    minSamples: z.number().int().min(1).optional(),
    minScore: z.number().min(0).max(1).optional(),
    actions: z.array(actionSchema).optional(),
  })
  .refine((m) => (m.minSamples ?? QUALITY_MONITOR_DEFAULTS.minSamples) <= (m.windowSize ?? QUALITY_MONITOR_DEFAULTS.windowSize), {
    message: 'must be <= windowSize',
    path: ['minSamples'],
  });

const readinessSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('store'),
    name: z.string().min(1).optional(),
    store: z.custom<{ getRun(id: string): PromiseLike<unknown> }>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { getRun?: unknown }).getRun === 'function',
      { message: 'must be a store (getRun)' },
    ),
    timeoutMs: positiveMs.optional(),
  }),
  z.strictObject({
    kind: z.literal('endpoint'),
    name: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).optional(),
    timeoutMs: positiveMs.optional(),
  }),
  z.strictObject({
    kind: z.literal('breakers'),
    name: z.string().min(1).optional(),
    breakers: z.array(
      z.custom<CircuitBreaker | undefined>((v) => v === undefined || (typeof v === 'object' && v !== null && 'state' in v), {
        message: 'must be a CircuitBreaker',
      }),
    ),
  }),
  z.strictObject({ kind: z.literal('check'), name: z.string().min(1), check: fn<(signal: AbortSignal) => unknown>(), timeoutMs: positiveMs.optional() }),
]);

export const serverSchema = z.strictObject({ port: z.number().int().min(0).max(65_535).optional(), host: z.string().min(1).optional() });

const healthSchema = z.strictObject({
  runtime: z.custom<Runtime>((v) => typeof v === 'object' && v !== null && 'events' in v && 'clock' in v, { message: 'must be a Runtime' }),
  name: z.string().min(1).optional(),
  livenessTimeoutMs: positiveMs.optional(),
  readiness: z.array(readinessSchema).optional(),
  probes: z.array(probeSchema).optional(),
  quality: z.array(monitorSchema).optional(),
  ladders: z.array(ladder).optional(),
  admin: serverSchema.optional(),
});

/** Check the options (throws `InvalidSpecError` naming the field); names must be unique per list. */
export function checkHealthOptions(options: HealthOptions): void {
  checkWith(healthSchema, options);
}

/** The same checks without the runtime (for a child spec, which gets its runtime when it starts). */
export function checkHealthChildOptions(options: Omit<HealthOptions, 'runtime'>): void {
  checkWith(healthSchema.omit({ runtime: true }), options as HealthOptions);
}

function checkWith(schema: z.ZodType, options: HealthOptions): void {
  const subject = typeof options?.name === 'string' ? `health "${options.name}"` : 'health';
  parseWith(subject, schema, options);
  unique(
    subject,
    'probes',
    (options.probes ?? []).map((p) => p.name),
  );
  unique(
    subject,
    'quality',
    (options.quality ?? []).map((q) => q.name),
  );
  unique(subject, 'readiness', (options.readiness ?? []).map(readinessName));
}

function unique(subject: string, list: string, names: readonly string[]): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) throw new InvalidSpecError(subject, `${list}[${i}].name`, n, 'is used twice; names must be unique');
    seen.add(n);
  });
}

/** A readiness check's name in the report: its `name`, else its kind (`store`, `endpoint <url>`, `breakers`). */
export function readinessName(check: ReadinessCheck): string {
  if (check.name !== undefined) return check.name;
  return check.kind === 'endpoint' ? `endpoint ${check.url}` : check.kind;
}

/**
 * Tools an agent offers its model: a description, a zod schema for the arguments (sent to the
 * model as JSON Schema and checked before the tool runs) and the function that does the work.
 *
 * What a tool call does to the journal, by kind:
 * - a plain tool is a journaled step: its result is recorded, and a resumed run reads it back
 *   instead of calling the tool again (a call whose result was not recorded before a crash runs
 *   again: steps are at-least-once, so plain tools should be safe to repeat: reads, searches;
 *   or given a `reconcile`, which a call interrupted by a crash is asked about instead);
 * - `effect: true`: a side effect done at most once, with an idempotency key (`ctx.idempotencyKey`,
 *   forward it to the service) and an optional `reconcile` for an outcome lost in a crash;
 * - `irreversible: true`: an effect that waits for a person's approval before it runs (the run
 *   suspends; `warden approvals approve|deny`). A denied call is never run; the model is told.
 *
 * Failures: a tool that throws {@link ToolFailure} (or whose arguments fail the schema) reports
 * the problem to the model as an error result, and the agent goes on. Anything else a tool
 * throws, after its `retry` policy, crashes the agent (let it crash: its supervisor decides).
 */
import { z } from 'zod';
import { InvalidSpecError } from '../runtime/index.ts';
import type { Policy } from '../resilience/index.ts';
import type { Json } from '../store/index.ts';

/** What a tool's function receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the run stops (cancelled, its process killed or asked to stop). */
  readonly signal: AbortSignal;
  /** 1 on the first attempt (more with a `retry` policy). */
  readonly attempt: number;
  /** The agent's name and the run's id. */
  readonly agent: string;
  readonly runId: string;
  /** The model's id for this call. */
  readonly callId: string;
  /** For effects: stable across attempts, crashes and resumes; forward it to the service. */
  readonly idempotencyKey: string | undefined;
  /** Report progress from a long tool call to the agent's watchdog (the agent beats before and after each call itself). */
  beat(): void;
}

export interface ToolSpec<I, O> {
  /** What the tool does, for the model. */
  readonly description: string;
  /** The arguments: a zod object schema. */
  readonly input: z.ZodType<I>;
  /** Do the work. The result must be JSON data (a string is passed to the model as is). */
  readonly run: (input: I, ctx: ToolContext) => O | PromiseLike<O>;
  /** A side effect: at most once, with an idempotency key. @default false */
  readonly effect?: boolean;
  /** An effect that needs a person's approval before it runs. @default false */
  readonly irreversible?: boolean;
  /**
   * Decide a call whose outcome was lost in a crash (for an effect: was the key done?). Without
   * it, an uncertain effect suspends the run until a person says what happened. On a plain tool
   * it makes the call's step record its intent, and a call a crash interrupted is asked about
   * on resume instead of run again (the key is the step's, `<runId>:<seq>:<step name>`).
   */
  readonly reconcile?: (info: {
    readonly idempotencyKey: string;
    readonly args: Json | undefined;
  }) => PromiseLike<{ done: true; value?: unknown } | { done: false }> | { done: true; value?: unknown } | { done: false };
  /** Retry policy for the call (e.g. `new Retry({ maxAttempts: 3 })`); every attempt is journaled. @default none */
  readonly retry?: Pick<Policy, 'execute'>;
}

const BRAND = Symbol.for('warden.agent.tool');

/** A tool, as `tool()` built it. */
export interface Tool<I = unknown, O = unknown> extends ToolSpec<I, O> {
  readonly [BRAND]: true;
  /** The arguments' JSON Schema (from `input`), as sent to the model. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/**
 * A failure the model should hear about (a file that is not there, a query with no results): the
 * tool result is marked as an error with this message, and the agent goes on.
 */
export class ToolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolFailure';
  }
}

/** True for a `ToolFailure` (also one from another copy of this package). */
export function isToolFailure(e: unknown): e is ToolFailure {
  return e instanceof Error && e.name === 'ToolFailure';
}

function isZod(v: unknown): v is z.ZodType {
  return typeof v === 'object' && v !== null && '_zod' in v;
}

/**
 * Define a tool. Checks the spec now: a missing description, a schema that is not a zod object
 * schema, a missing `run` throw `InvalidSpecError` naming the field.
 *
 * @example
 * ```ts
 * const search = tool({
 *   description: 'Search the web; returns titles and URLs.',
 *   input: z.object({ q: z.string().describe('the query') }),
 *   run: async ({ q }, { signal }) => searchIndex(q, { signal }),
 * });
 * ```
 */
export function tool<I, O>(spec: ToolSpec<I, O>): Tool<I, O> {
  const subject = 'tool';
  if (typeof spec !== 'object' || spec === null) throw new InvalidSpecError(subject, '', spec, 'must be an object { description, input, run }');
  if (typeof spec.description !== 'string' || spec.description.trim() === '') {
    throw new InvalidSpecError(subject, 'description', spec.description, 'must be a non-empty string (the model reads it to decide when to call the tool)');
  }
  if (!isZod(spec.input)) throw new InvalidSpecError(subject, 'input', spec.input, 'must be a zod schema, e.g. z.object({ q: z.string() })');
  let parameters: Record<string, unknown>;
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(spec.input) as Record<string, unknown>;
    parameters = rest;
  } catch (e) {
    throw new InvalidSpecError(subject, 'input', spec.input, `cannot be converted to JSON Schema (${(e as Error).message})`);
  }
  if (parameters.type !== 'object') throw new InvalidSpecError(subject, 'input', parameters.type, 'must be an object schema (z.object({...}))');
  if (typeof spec.run !== 'function') throw new InvalidSpecError(subject, 'run', spec.run, 'must be a function (input, ctx) => result');
  for (const flag of ['effect', 'irreversible'] as const) {
    if (spec[flag] !== undefined && typeof spec[flag] !== 'boolean') throw new InvalidSpecError(subject, flag, spec[flag], 'must be a boolean');
  }
  if (spec.reconcile !== undefined && typeof spec.reconcile !== 'function')
    throw new InvalidSpecError(subject, 'reconcile', spec.reconcile, 'must be a function');
  if (spec.retry !== undefined && typeof (spec.retry as { execute?: unknown }).execute !== 'function') {
    throw new InvalidSpecError(subject, 'retry', spec.retry, 'must be a policy (new Retry({...}))');
  }
  return Object.freeze({ ...spec, parameters: Object.freeze(parameters), [BRAND]: true as const });
}

/**
 * A tool whose arguments are described by a JSON Schema given as is (the tools an MCP server
 * offers): `parameters` goes to the model unchanged, `spec.input` checks the arguments. The
 * caller vouches for the spec; nothing is checked here.
 */
export function toolWithParameters<I, O>(spec: ToolSpec<I, O>, parameters: Readonly<Record<string, unknown>>): Tool<I, O> {
  return Object.freeze({ ...spec, parameters: Object.freeze({ ...parameters }), [BRAND]: true as const });
}

/** True for a value `tool()` built. */
export function isTool(v: unknown): v is Tool {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
}

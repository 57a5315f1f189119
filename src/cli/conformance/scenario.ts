/**
 * The conformance scenario format (a supervision tree plus a timed script of faults and API
 * calls), validated with zod so that a bad scenario file gets an error naming the field. The
 * format is the contract shared with the OTP oracle (`run_scenario.escript`); see
 * docs/conformance.md.
 */
import { z } from 'zod';
import { InvalidSpecError } from '../../runtime/index.ts';
import { formatPath, valueAt } from '../../runtime/internal.ts';

/** A reason as written in a scenario: a string (atom), an integer, a one-key object (2-tuple) or an array (tuple). */
export type ScenarioReason = string | number | readonly ScenarioReason[] | { readonly [key: string]: ScenarioReason };

const reason: z.ZodType<ScenarioReason> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().int(),
    z.array(reason),
    z.record(z.string(), reason).refine((o) => Object.keys(o).length === 1, { error: 'a tagged reason has exactly one key' }),
  ]),
);

const onShutdown = z.union([
  z.literal('exit'),
  z.literal('hang'),
  z.strictObject({ delay_ms: z.number().int().min(0) }),
  z.strictObject({ exit_with: reason }),
]);

export interface ScenarioChild {
  readonly id?: string | undefined;
  readonly type?: 'worker' | 'supervisor' | undefined;
  readonly restart?: 'permanent' | 'transient' | 'temporary' | undefined;
  readonly shutdown?: number | 'brutal_kill' | 'infinity' | undefined;
  readonly significant?: boolean | undefined;
  readonly trap_exit?: boolean | undefined;
  readonly on_shutdown?: z.infer<typeof onShutdown> | undefined;
  readonly fail_starts?: number | undefined;
  readonly ignore_starts?: number | undefined;
  readonly strategy?: ScenarioStrategy | undefined;
  readonly intensity?: number | undefined;
  readonly period?: number | undefined;
  readonly auto_shutdown?: 'never' | 'any_significant' | 'all_significant' | undefined;
  readonly children?: readonly ScenarioChild[] | undefined;
}

export type ScenarioStrategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

const child: z.ZodType<ScenarioChild> = z.lazy(() =>
  z.strictObject({
    id: z.string().min(1).optional(),
    type: z.enum(['worker', 'supervisor']).optional(),
    restart: z.enum(['permanent', 'transient', 'temporary']).optional(),
    shutdown: z.union([z.number().int().min(0), z.literal('brutal_kill'), z.literal('infinity')]).optional(),
    significant: z.boolean().optional(),
    trap_exit: z.boolean().optional(),
    on_shutdown: onShutdown.optional(),
    fail_starts: z.number().int().min(0).optional(),
    ignore_starts: z.number().int().min(0).optional(),
    strategy: z.enum(['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one']).optional(),
    intensity: z.number().int().min(0).optional(),
    period: z.number().int().min(1).optional(),
    auto_shutdown: z.enum(['never', 'any_significant', 'all_significant']).optional(),
    children: z.array(child).optional(),
  }),
);

const at = z.number().min(0).optional();

const action = z.discriminatedUnion('do', [
  z.strictObject({ do: z.literal('exit'), at, id: z.string(), reason: reason.optional() }),
  z.strictObject({ do: z.literal('kill'), at, id: z.string() }),
  z.strictObject({ do: z.literal('fail_next_start'), at, id: z.string(), count: z.number().int().min(0).optional() }),
  z.strictObject({ do: z.literal('ignore_next_start'), at, id: z.string(), count: z.number().int().min(0).optional() }),
  z.strictObject({ do: z.literal('start_child'), at, sup: z.string().optional(), spec: child.optional(), id: z.string().optional() }),
  z.strictObject({ do: z.literal('terminate_child'), at, sup: z.string().optional(), id: z.string() }),
  z.strictObject({ do: z.literal('restart_child'), at, sup: z.string().optional(), id: z.string() }),
  z.strictObject({ do: z.literal('delete_child'), at, sup: z.string().optional(), id: z.string() }),
  z.strictObject({ do: z.literal('snapshot'), at, sup: z.string().optional() }),
  z.strictObject({ do: z.literal('stop'), at }),
]);

export type ScenarioAction = z.infer<typeof action>;

const scenario = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  supervisor: child,
  script: z.array(action).optional(),
  end_at: z.number().min(0).optional(),
  stop_at_end: z.boolean().optional(),
});

export type Scenario = z.infer<typeof scenario>;

/** Parse and validate a scenario; throws InvalidSpecError naming the first bad field. */
export function parseScenario(input: unknown): Scenario {
  const result = scenario.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidSpecError('scenario', `${path}${path === '' ? '' : '.'}${issue.keys[0]}`, undefined, 'is not a known field');
  }
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'do') {
    throw new InvalidSpecError('scenario', path, value, 'is not a known action');
  }
  throw new InvalidSpecError('scenario', path, value, issue.message);
}

/**
 * Spec validation. A supervisor spec is checked completely when it is built, before anything
 * starts: shapes and ranges with zod, then the rules that span fields (duplicate ids,
 * `significant` with `permanent` or with `autoShutdown: 'never'`, `children` vs `template`).
 * The first problem becomes an `InvalidSpecError` naming the field (`children[2].shutdown`)
 * and the value found. Unknown keys are errors too, so a typo cannot silently fall back to a
 * default.
 */
import { z } from 'zod';
import { InvalidSpecError, showValue, type Term } from '../runtime/index.ts';
import { formatPath, valueAt } from '../runtime/internal.ts';
import {
  AUTO_SHUTDOWNS,
  CHILD_DEFAULTS,
  CHILD_TYPES,
  RESTART_TYPES,
  STRATEGIES,
  SUPERVISOR_DEFAULTS,
  type AutoShutdown,
  type ChildSpec,
  type ChildTemplate,
  type ResolvedChildSpec,
  type ResolvedSupervisorSpec,
  type SupervisorSpec,
} from './spec.ts';

const oneOf = (values: readonly string[]): string => `must be one of ${values.map((v) => `'${v}'`).join(', ')}`;

const shutdownSchema = z.union([z.number().int().min(0), z.literal('brutal_kill'), z.literal('infinity')], {
  error: "must be an integer number of ms >= 0, 'brutal_kill' or 'infinity'",
});

const childFields = {
  start: z.custom<ChildSpec['start']>((v) => typeof v === 'function', { error: 'must be a start function' }),
  restart: z.enum(RESTART_TYPES as [string, ...string[]], { error: oneOf(RESTART_TYPES) }).optional(),
  shutdown: shutdownSchema.optional(),
  type: z.enum(CHILD_TYPES as [string, ...string[]], { error: oneOf(CHILD_TYPES) }).optional(),
  significant: z.boolean({ error: 'must be a boolean' }).optional(),
};

const childSchema = z.strictObject(
  { id: z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' }), ...childFields },
  { error: 'must be a child spec object' },
);

const templateSchema = z.strictObject({ id: z.string({ error: 'must be a string' }).optional(), ...childFields }, { error: 'must be a child spec object' });

const backoffSchema = z.strictObject(
  {
    initialMs: z.number({ error: 'must be a number of ms >= 0' }).min(0, { error: 'must be >= 0' }),
    maxMs: z.number({ error: 'must be a number of ms >= 0' }).min(0, { error: 'must be >= 0' }),
    multiplier: z.number({ error: 'must be a number >= 1' }).min(1, { error: 'must be >= 1' }).optional(),
  },
  { error: 'must be an object { initialMs, maxMs, multiplier? }' },
);

const supervisorSchema = z.strictObject(
  {
    name: z.string({ error: 'must be a string' }).optional(),
    strategy: z.enum(STRATEGIES as [string, ...string[]], { error: oneOf(STRATEGIES) }).optional(),
    intensity: z.number({ error: 'must be an integer >= 0' }).int({ error: 'must be an integer >= 0' }).min(0, { error: 'must be an integer >= 0' }).optional(),
    periodSeconds: z
      .number({ error: 'must be an integer > 0' })
      .int({ error: 'must be an integer > 0' })
      .min(1, { error: 'must be an integer > 0' })
      .optional(),
    autoShutdown: z.enum(AUTO_SHUTDOWNS as [string, ...string[]], { error: oneOf(AUTO_SHUTDOWNS) }).optional(),
    children: z.array(z.unknown(), { error: 'must be an array of child specs' }).optional(),
    template: z.unknown().optional(),
    restartBackoff: backoffSchema.optional(),
  },
  { error: 'must be a supervisor spec object' },
);

/** OTP's name for an invalid value of each field (`invalid_restart_type`, ...). */
const OTP_FIELD_ERRORS: Readonly<Record<string, string>> = {
  strategy: 'invalid_strategy',
  intensity: 'invalid_intensity',
  periodSeconds: 'invalid_period',
  autoShutdown: 'invalid_auto_shutdown',
  restart: 'invalid_restart_type',
  shutdown: 'invalid_shutdown',
  type: 'invalid_child_type',
  significant: 'invalid_significant',
  start: 'invalid_mfa',
};

/** The problem as OTP would name it: `{ invalid_shutdown: -1 }`, `missing_id`, ... */
function otpTerm(field: PropertyKey | undefined, value: unknown, missing: boolean): Term {
  if (missing && (field === 'id' || field === 'start')) return `missing_${field}`;
  const tag = typeof field === 'string' ? OTP_FIELD_ERRORS[field] : undefined;
  const shown = value === undefined || typeof value === 'function' ? null : plainTerm(value);
  return tag === undefined ? { invalid_spec: shown } : { [tag]: shown };
}

/** The value as JSON data for the term; one JSON cannot hold (a cycle, a bigint) as its shown text. */
function plainTerm(value: unknown): Term {
  try {
    return JSON.parse(JSON.stringify(value) ?? 'null') as Term;
  } catch {
    return showValue(value);
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, prefix: readonly PropertyKey[], subject: string, root: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const path = [...prefix, ...issue.path, key];
    throw new InvalidSpecError(subject, formatPath(path), valueAt(root, path), 'is not a known option', {
      unknown_option: key,
    });
  }
  const path = [...prefix, ...issue.path];
  const value = valueAt(root, path);
  const missing = value === undefined && issue.path.length > 0;
  throw new InvalidSpecError(subject, formatPath(path), value, missing ? 'is required' : issue.message, otpTerm(issue.path.at(-1), value, missing));
}

/** Validate one child spec against its supervisor's `autoShutdown`; `at` is its path in the spec. */
export function resolveChildSpec(
  input: unknown,
  autoShutdown: AutoShutdown,
  at: readonly PropertyKey[] = [],
  subject = 'child spec',
  root: unknown = input,
  isTemplate = false,
): ResolvedChildSpec {
  const spec = parse(isTemplate ? templateSchema : childSchema, input, at, subject, root) as ChildTemplate;
  const start = spec.start;
  const type = spec.type ?? start.childType ?? 'worker';
  const restart = spec.restart ?? CHILD_DEFAULTS.restart;
  const significant = spec.significant ?? CHILD_DEFAULTS.significant;
  // Checked in OTP's order: the supervisor's autoShutdown first, then the restart type.
  if (significant && autoShutdown === 'never') {
    throw new InvalidSpecError(subject, formatPath([...at, 'significant']), true, "cannot be true under a supervisor whose autoShutdown is 'never'", {
      bad_combination: [{ auto_shutdown: 'never' }, { significant: true }],
    });
  }
  if (significant && restart === 'permanent') {
    throw new InvalidSpecError(subject, formatPath([...at, 'significant']), true, "cannot be true for a 'permanent' child", {
      bad_combination: [{ restart: 'permanent' }, { significant: true }],
    });
  }
  return Object.freeze({
    id: spec.id ?? 'template',
    start,
    restart,
    shutdown: spec.shutdown ?? (type === 'supervisor' ? CHILD_DEFAULTS.supervisorShutdown : CHILD_DEFAULTS.workerShutdown),
    type,
    significant,
  });
}

/** Validate a whole supervisor spec, applying defaults; throws `InvalidSpecError` on the first problem. */
export function resolveSupervisorSpec(input: SupervisorSpec): ResolvedSupervisorSpec {
  const subject = 'supervisor spec';
  const spec = parse(supervisorSchema, input, [], subject, input) as SupervisorSpec;
  const strategy = spec.strategy ?? SUPERVISOR_DEFAULTS.strategy;
  const autoShutdown = spec.autoShutdown ?? SUPERVISOR_DEFAULTS.autoShutdown;
  let children: ResolvedChildSpec[] = [];
  let template: ResolvedChildSpec | undefined;
  if (strategy === 'dynamic') {
    if (spec.children !== undefined) {
      throw new InvalidSpecError(subject, 'children', spec.children, "is not used by a 'dynamic' supervisor: give a template", {
        bad_start_spec: 'children',
      });
    }
    if (spec.template === undefined) {
      throw new InvalidSpecError(subject, 'template', undefined, "is required for a 'dynamic' supervisor", {
        bad_start_spec: 'missing_template',
      });
    }
    template = resolveChildSpec(spec.template, autoShutdown, ['template'], subject, input, true);
  } else {
    if (spec.template !== undefined) {
      throw new InvalidSpecError(subject, 'template', spec.template, "is only used by a 'dynamic' supervisor", {
        bad_start_spec: 'template',
      });
    }
    const seen = new Set<string>();
    children = (spec.children ?? []).map((child, i) => {
      const resolved = resolveChildSpec(child, autoShutdown, ['children', i], subject, input);
      if (seen.has(resolved.id)) {
        throw new InvalidSpecError(subject, `children[${i}].id`, resolved.id, 'is a duplicate id', {
          duplicate_child_name: resolved.id,
        });
      }
      seen.add(resolved.id);
      return resolved;
    });
  }
  const backoff = spec.restartBackoff;
  if (backoff !== undefined && backoff.maxMs < backoff.initialMs) {
    throw new InvalidSpecError(subject, 'restartBackoff.maxMs', backoff.maxMs, 'must be >= restartBackoff.initialMs', {
      invalid_restart_backoff: backoff.maxMs,
    });
  }
  return Object.freeze({
    name: spec.name,
    strategy,
    intensity: spec.intensity ?? SUPERVISOR_DEFAULTS.intensity,
    periodSeconds: spec.periodSeconds ?? SUPERVISOR_DEFAULTS.periodSeconds,
    autoShutdown,
    children: Object.freeze(children),
    template,
    restartBackoff: backoff === undefined ? undefined : Object.freeze({ multiplier: 2, ...backoff } as Required<typeof backoff>),
  });
}

/**
 * The exit reason of a supervisor whose spec, produced at start by a factory, is invalid: as
 * OTP, `{ start_spec: problem }` for a child spec and `{ supervisor_data: problem }` for the
 * flags.
 */
export function specFailureReason(error: InvalidSpecError): Term {
  const childProblem = error.path.startsWith('children') || error.path.startsWith('template');
  return childProblem ? { start_spec: error.term } : { supervisor_data: error.term };
}

/**
 * Zod's issues in Warden's words, for every layer that validates with zod: `parseWith` turns the
 * first issue into an `InvalidSpecError` naming the subject, the field path (`halfOpen.maxProbes`)
 * and the value it got, and lists the paths of any others in its message; `zodIssues` puts every
 * issue on one line (`path: message; ...`), the form a model is told when its answer or its tool
 * call arguments fail a schema. Written here once because zod's own formatting (`prettifyError`)
 * is multi-line and names neither the subject nor the value.
 */
import type { z } from 'zod';
import { InvalidSpecError } from './errors.ts';
import { showValue } from './terms.ts';

type Issue = z.core.$ZodIssue;

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The value at `path` inside `input` (`undefined` where the path leaves the data). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Every issue on one line, `path: message; ...`, with the path dotted (`items.2.name`) and `(root)` for the whole value. */
export function zodIssues(error: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** A plain-English reason for one zod issue (the field path is added by the caller). */
function describeIssue(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      if (issue.expected === 'int') return 'must be an integer';
      if (issue.expected === 'custom') return 'is not of the right kind';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small': {
      const bound = Number(issue.minimum);
      if (issue.origin === 'array') return `must have at least ${bound} item${bound === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive === false ? '>' : '>='} ${bound}`;
    }
    case 'too_big': {
      const bound = Number(issue.maximum);
      if (issue.origin === 'array') return `must have at most ${bound} items`;
      return `must be ${issue.inclusive === false ? '<' : '<='} ${bound}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((x) => showValue(x)).join(', ')}`;
    case 'unrecognized_keys':
      return 'is not a known option';
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        return `must be one of ${(issue.options as unknown[]).map((x) => showValue(x)).join(', ')}`;
      }
      return issue.message;
    default:
      return issue.message;
  }
}

interface IssuePart {
  readonly path: string;
  readonly value: unknown;
  readonly why: string;
}

/** One part per issue (an unknown-keys issue gives one per key), in zod's order. */
function issueParts(input: unknown, issues: readonly Issue[]): IssuePart[] {
  const parts: IssuePart[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const value = valueAt(input, path);
        parts.push({ path: formatPath(path), value, why: describeIssue(issue, value) });
      }
      continue;
    }
    const value = valueAt(input, issue.path);
    parts.push({ path: formatPath(issue.path), value, why: describeIssue(issue, value) });
  }
  return parts;
}

/** One `InvalidSpecError` per zod issue, in zod's order. */
export function issuesToErrors(subject: string, input: unknown, issues: readonly Issue[]): InvalidSpecError[] {
  return issueParts(input, issues).map((p) => new InvalidSpecError(subject, p.path, p.value, p.why));
}

/**
 * Parse `input` with `schema`; on failure throw an `InvalidSpecError` for the first issue
 * (its message lists the paths of any others).
 */
export function parseWith<S extends z.ZodType>(subject: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const parts = issueParts(input, result.error.issues);
  const first = parts[0];
  if (first === undefined) throw new InvalidSpecError(subject, '', input, 'is invalid');
  const others = parts.slice(1).map((p) => p.path || '(options)');
  const why = others.length === 0 ? first.why : `${first.why}; also invalid: ${others.join(', ')}`;
  throw new InvalidSpecError(subject, first.path, first.value, why);
}

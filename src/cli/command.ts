/**
 * The shape of a CLI command and the shared argument handling: every command declares its
 * options for `node:util` `parseArgs` (strict, so an unknown option is an error naming it) and
 * its help text; `UsageError` makes the CLI print the problem and point at `--help`, exit 2. The
 * helpers below read subcommands, ids and options, each refusing a bad one with a `UsageError`
 * that names it.
 */
import type { ParseArgsConfig } from 'node:util';

export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Whether stdout is an interactive terminal (live redraws and colours). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, unknown>>;
  readonly positionals: readonly string[];
}

export interface Command {
  readonly name: string;
  /** The whole `warden <name> --help` text. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly positionals: boolean;
  /** Run it; resolves with the process exit code. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** Bad command-line input: printed with a pointer to the command's help; exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** String-valued options by name, for a command's `options`. */
export function stringOptions<const N extends string>(...names: N[]): Record<N, { readonly type: 'string' }> {
  return Object.fromEntries(names.map((n) => [n, { type: 'string' }])) as Record<N, { readonly type: 'string' }>;
}

/** Flag options by name, for a command's `options`. */
export function booleanOptions<const N extends string>(...names: N[]): Record<N, { readonly type: 'boolean' }> {
  return Object.fromEntries(names.map((n) => [n, { type: 'boolean' }])) as Record<N, { readonly type: 'boolean' }>;
}

/** A positive integer option, or a UsageError naming the option and the value. */
export function integerOption(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got "${text}")`);
  }
  return n;
}

/** The subcommand (first positional), checked against the known ones. */
export function subcommand<T extends string>(args: ParsedArgs, known: readonly T[]): { readonly sub: T; readonly rest: readonly string[] } {
  const [sub, ...rest] = args.positionals;
  if (sub === undefined) throw new UsageError(`give a subcommand: ${known.join(', ')}`);
  if (!known.includes(sub as T)) throw new UsageError(`unknown subcommand '${sub}' (expected one of: ${known.join(', ')})`);
  return { sub: sub as T, rest };
}

/** Exactly one positional id after the subcommand. */
export function oneId(rest: readonly string[], what: string): string {
  if (rest.length === 0 || rest[0] === '') throw new UsageError(`give the ${what}`);
  if (rest.length > 1) throw new UsageError(`give one ${what} (got ${rest.length}: ${rest.join(' ')})`);
  return rest[0]!;
}

/** The id after a subcommand that takes one; `list` takes none, and gets `undefined`. */
export function idUnlessList(sub: string, rest: readonly string[], what: string): string | undefined {
  if (sub !== 'list') return oneId(rest, what);
  if (rest.length > 0) throw new UsageError(`'list' takes no arguments (got ${rest.join(' ')})`);
  return undefined;
}

/** Options that only some subcommands take: refuse them elsewhere, naming them. */
export function onlyFor(args: ParsedArgs, sub: string, allowed: Readonly<Record<string, readonly string[]>>): void {
  for (const [name, subs] of Object.entries(allowed)) {
    if (args.values[name] !== undefined && !subs.includes(sub)) throw new UsageError(`--${name} does not apply to '${sub}' (only to: ${subs.join(', ')})`);
  }
}

/** A required non-empty string option. */
export function required(args: ParsedArgs, name: string, why: string): string {
  const v = args.values[name];
  if (v === undefined || String(v).trim() === '') throw new UsageError(`--${name} is required (${why})`);
  return String(v);
}

/** A JSON option, parsed, or a UsageError naming it. */
export function jsonOption(args: ParsedArgs, name: string): unknown {
  const v = args.values[name];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(String(v));
  } catch (e) {
    throw new UsageError(`--${name} must be JSON (${(e as Error).message}; got ${String(v)})`);
  }
}

/** A choice option, or a UsageError listing the choices. */
export function choice<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (!choices.includes(String(v) as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${String(v)}")`);
  return String(v) as T;
}

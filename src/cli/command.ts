/**
 * The shape of a CLI command and the shared argument handling: every command declares its
 * options for `node:util` `parseArgs` (strict, so an unknown option is an error naming it) and
 * its help text; `UsageError` makes the CLI print the problem and point at `--help`, exit 2.
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

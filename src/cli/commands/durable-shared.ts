/**
 * What the durable CLI commands (`runs`, `dlq`, `approvals`, `quarantine`) share: the `--db`
 * option (a file path or a postgres:// URL; default WARDEN_DATABASE_URL, else
 * ./.warden/warden.db), opening the store without creating a database that is not there, turning
 * store and state errors into one clear line, and plain-text tables.
 *
 * The CLI only reads and marks the store. Whatever needs the run's code (resuming a run,
 * replaying a dead letter as a run) is done by a host process serving that run definition
 * (`host.serve()`), which picks the marks up on its next poll.
 */
import { existsSync } from 'node:fs';
import { isWardenError } from '../../runtime/index.ts';
import { openStore, resolveStoreLocation, type StoreLocationOptions, type StoreTarget, type Store } from '../../store/index.ts';
import { UsageError, integerOption, type CliIO, type ParsedArgs } from '../command.ts';

export const DB_OPTION = { db: { type: 'string' }, 'db-timeout-ms': { type: 'string' } } as const;

export const DB_HELP = `  --db <path|url>  the database: a SQLite file or a postgres:// URL
                   (default: $WARDEN_DATABASE_URL, else ./.warden/warden.db)
  --db-timeout-ms N  give up on the database after this long: a Postgres server
                   that does not answer (default 10000, or the URL's
                   connect_timeout), a SQLite file another process keeps locked
                   (default 5000)`;

/**
 * The location an option names (`--db`, `--file`), or the default, checked by the store: a
 * mistyped URL scheme, an unexpanded `${VAR}` or a directory is a usage error naming it.
 */
export function checkedLocation(io: CliIO, options: StoreLocationOptions): StoreTarget {
  try {
    return resolveStoreLocation({ env: io.env, cwd: io.cwd, ...options });
  } catch (e) {
    if (isWardenError(e, 'STORE_LOCATION_INVALID')) throw new UsageError((e as Error).message);
    throw e;
  }
}

/** Open the store named by `--db` (read-only: only going to read), run `fn`, close it. Store errors become one line, exit 1. */
export async function withStore(
  command: string,
  args: ParsedArgs,
  io: CliIO,
  fn: (store: Store) => Promise<number>,
  mode: { readOnly?: boolean } = {},
): Promise<number> {
  const db = args.values.db === undefined ? undefined : String(args.values.db);
  if (db === '') throw new UsageError('--db must not be empty');
  const timeoutMs = args.values['db-timeout-ms'] === undefined ? undefined : integerOption(args, 'db-timeout-ms', 0, 1);
  const target = checkedLocation(io, { name: '--db', ...(db === undefined ? {} : { db }) });
  const location = target.kind === 'postgres' ? target.url : target.path;
  if (target.kind === 'sqlite' && !existsSync(location)) {
    throw new UsageError(`no database at ${location} (nothing has run there yet?); pass --db <path|url> or set WARDEN_DATABASE_URL`);
  }
  let store: Store;
  try {
    store = await openStore({
      db: location,
      env: io.env,
      cwd: io.cwd,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(mode.readOnly === true ? { readOnly: true } : {}),
    });
  } catch (e) {
    if (isWardenError(e)) {
      io.stderr.write(`warden ${command}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    return await fn(store);
  } catch (e) {
    if (isWardenError(e, 'INVALID_SPEC') || isWardenError(e, 'DURABLE_STATE')) throw new UsageError((e as Error).message);
    if (isWardenError(e)) {
      io.stderr.write(`warden ${command}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await store.close();
  }
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

export function time(ms: number | undefined): string {
  return ms === undefined
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** Left-aligned columns. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

export function preview(value: unknown, max = 60): string {
  const text = value === undefined ? '-' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const LIST_JSON_OPTIONS = { json: { type: 'boolean' }, jsonl: { type: 'boolean' } } as const;

export const LIST_JSON_HELP = `  --json           print JSON instead of a table (a list: one JSON array)
  --jsonl          list: one JSON object per line (JSON Lines), for streaming tools`;

/** How a `list` prints: a table, one JSON array (`--json`), or one object per line (`--jsonl`). */
export function listFormat(args: ParsedArgs): 'table' | 'json' | 'jsonl' {
  if (args.values.json === true && args.values.jsonl === true) throw new UsageError('give --json or --jsonl, not both');
  return args.values.json === true ? 'json' : args.values.jsonl === true ? 'jsonl' : 'table';
}

/** Print `items` as `format` says; false for a table, which the caller prints. */
export function writeJsonList(io: CliIO, format: 'table' | 'json' | 'jsonl', items: readonly unknown[]): boolean {
  if (format === 'json') io.stdout.write(`${JSON.stringify(items)}\n`);
  else if (format === 'jsonl') io.stdout.write(items.map((x) => `${JSON.stringify(x)}\n`).join(''));
  return format !== 'table';
}

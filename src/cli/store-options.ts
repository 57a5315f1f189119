/**
 * The store options of the CLI commands that read or mark a store (`runs`, `dlq`, `approvals`,
 * `quarantine`; `memory` and `demo` check their locations the same way): the `--db` option (a
 * file path or a postgres:// URL; default WARDEN_DATABASE_URL, else ./.warden/warden.db) and
 * `--db-timeout-ms`, opening the store without creating a database that is not there, and turning
 * store and state errors into one clear line.
 *
 * The CLI only reads and marks the store. Whatever needs the run's code (resuming a run,
 * replaying a dead letter as a run) is done by a host process serving that run definition
 * (`host.serve()`), which picks the marks up on its next poll.
 */
import { existsSync } from 'node:fs';
import { isWardenError } from '../runtime/index.ts';
import { openStore, resolveStoreLocation, type StoreLocationOptions, type StoreTarget, type Store } from '../store/index.ts';
import { UsageError, integerOption, type CliIO, type ParsedArgs } from './command.ts';

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

/**
 * Where a store lives, checked before anything is opened or created. A location is a SQLite
 * file path (relative to the working directory), a `file:` URL naming one, or a `postgres://` /
 * `postgresql://` URL. Everything else is refused in one line naming what was given, instead of
 * silently becoming a SQLite file with a strange name: another URL scheme (`postgress://`,
 * `mysql://`, `sqlite:`), a shell variable that was never expanded (`${DATABASE_URL:-...}`), a
 * Postgres URL that does not parse, a directory, and a Postgres schema given for a SQLite file.
 *
 * Every place that takes a location (`openStore`, `openPostgresStore`, `openMemoryGraph`, the
 * CLI's `--db` and `--file`) goes through `resolveStoreLocation`.
 */
import { statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../runtime/index.ts';
import { DEFAULT_SQLITE_PATH } from './sqlite.ts';

/** A location that passed the checks: an absolute SQLite path, or a Postgres URL. */
export type StoreTarget = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

export interface StoreLocationOptions {
  /** A file path, a `file:` URL or a `postgres://` URL. @default WARDEN_DATABASE_URL, else './.warden/warden.db' */
  readonly db?: string;
  /** Postgres only: refused with a SQLite location, where it would mean nothing. */
  readonly schema?: string;
  /** Where to read `WARDEN_DATABASE_URL`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative file path. @default process.cwd() */
  readonly cwd?: string;
  /** `'file'`: only a file will do (a JSONL file, say): a Postgres URL is refused too. @default 'store' */
  readonly accept?: 'store' | 'file';
  /** How errors name the location when it was given as `db` (a CLI passes `'--db'`). @default 'store location' */
  readonly name?: string;
}

/** A store location that cannot be used as given; nothing was opened or created. */
export class InvalidStoreLocationError extends WardenError<
  'STORE_LOCATION_INVALID',
  {
    /** What was given (a URL's password hidden). */
    given: string;
    /** Where it came from: the option's name, or `WARDEN_DATABASE_URL`. */
    source: string;
    problem: string;
  }
> {
  constructor(given: string, source: string, problem: string) {
    const shown = hidePassword(given);
    super('STORE_LOCATION_INVALID', `${source} "${shown}": ${problem}`, { given: shown, source, problem });
  }
}

/** `given` as written, but for the password of any `//user:password@` in it. */
function hidePassword(given: string): string {
  return given.replace(/\/\/([^:/@\s]*):[^@\s]*@/g, '//$1:***@');
}

/** Whether `location` names a Postgres database rather than a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/;

/**
 * Check a location and say what it names; throws `InvalidStoreLocationError` naming the value
 * and the problem. Reads nothing but the file system's answer to "is this a directory?".
 *
 * @example
 * ```ts
 * resolveStoreLocation({ db: 'jobs.db', cwd: '/srv' });           // { kind: 'sqlite', path: '/srv/jobs.db' }
 * resolveStoreLocation({ db: 'postgres://warden@db/prod' });      // { kind: 'postgres', url: ... }
 * resolveStoreLocation({ db: 'postgress://warden@db/prod' });     // throws: the URL scheme "postgress:" ...
 * ```
 */
export function resolveStoreLocation(options: StoreLocationOptions = {}): StoreTarget {
  const env = options.env ?? process.env;
  const fromEnv = options.db === undefined && env.WARDEN_DATABASE_URL !== undefined && env.WARDEN_DATABASE_URL !== '';
  const given = options.db ?? (fromEnv ? env.WARDEN_DATABASE_URL! : DEFAULT_SQLITE_PATH);
  const source = fromEnv ? 'WARDEN_DATABASE_URL' : (options.name ?? 'store location');
  const refuse = (problem: string): never => {
    throw new InvalidStoreLocationError(given, source, problem);
  };
  const wanted = options.accept === 'file' ? 'a file path' : 'a file path or a postgres:// URL';

  if (given.trim() === '') refuse(`empty; give ${wanted}`);
  if (given.includes('${')) refuse(`contains "\${", a shell variable that was never expanded; give ${wanted} itself`);
  if (given === ':memory:') refuse(`an in-memory database would keep nothing; give ${wanted}`);

  let path = given;
  const scheme = SCHEME.exec(given)?.[1];
  if (scheme !== undefined) {
    const lower = scheme.toLowerCase();
    if (lower === 'postgres' || lower === 'postgresql') {
      if (options.accept === 'file') refuse('a Postgres URL is not a file; give a file path (a Postgres store is --db)');
      return { kind: 'postgres', url: checkPostgresUrl(given, scheme, refuse) };
    }
    if (lower !== 'file') {
      const typo = /^p(ost)?g/i.test(scheme) ? ' (a typo for postgres://?)' : '';
      const fileHint = given.startsWith(`${scheme}://`) ? '' : ` (for a file of that name, write ./${given})`;
      refuse(`the URL scheme "${scheme}:"${typo} is not one Warden opens; give ${wanted}${options.accept === 'file' ? '' : ' (or postgresql://)'}${fileHint}`);
    }
    path = fileUrlPath(given, refuse);
  }

  const absolute = resolve(options.cwd ?? process.cwd(), path);
  if (options.schema !== undefined) refuse(`a schema ("${options.schema}") applies to a Postgres store only, and this is a SQLite file`);
  if (statPath(absolute, refuse)?.isDirectory() === true) {
    refuse(`${absolute} is a directory; give a file in it, e.g. ${join(absolute, options.accept === 'file' ? 'memory.jsonl' : 'warden.db')}`);
  }
  return { kind: 'sqlite', path: absolute };
}

/** `statSync` of a path that may not exist; a path no file can have (a name too long) is refused by name. */
function statPath(absolute: string, refuse: (problem: string) => never): Stats | undefined {
  try {
    return statSync(absolute, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG') refuse(`the path is longer than this system allows for a file name (${absolute.length} characters)`);
    throw e;
  }
}

/** A `postgres://` URL that the driver will parse, with a sane `connect_timeout` if it has one. */
function checkPostgresUrl(given: string, scheme: string, refuse: (problem: string) => never): string {
  if (scheme !== scheme.toLowerCase()) refuse(`write the scheme in lower case (${scheme.toLowerCase()}://)`);
  if (!given.startsWith(`${scheme}://`)) refuse(`a Postgres URL starts with ${scheme}:// (e.g. ${scheme}://user@host:5432/db)`);
  const url = parsePostgresUrl(given);
  if (url === undefined)
    refuse(`not a valid Postgres URL (check the port, and percent-encode any @ : / # in the password); the form is ${scheme}://user:password@host:5432/db`);
  const timeout = url!.searchParams.get('connect_timeout');
  if (timeout !== null && !(Number(timeout) > 0)) refuse(`connect_timeout must be a number of seconds > 0 (got "${timeout}")`);
  return given;
}

/** A Postgres URL parsed as the driver reads it (spaces allowed; `user@/db`: no host, the local socket), or undefined. */
function parsePostgresUrl(given: string): URL | undefined {
  const text = / /.test(given) ? encodeURI(given).replace(/%25(\d\d)/g, '%$1') : given;
  try {
    return new URL(text.replace('@/', '@localhost/'));
  } catch {
    return undefined;
  }
}

/** The `connect_timeout` (seconds, as libpq reads it) of a checked Postgres URL, in ms; undefined if it has none. */
export function connectTimeoutOf(url: string): number | undefined {
  const seconds = parsePostgresUrl(url)?.searchParams.get('connect_timeout');
  return seconds === null || seconds === undefined ? undefined : Math.round(Number(seconds) * 1000);
}

/** The path of a `file:` URL (absolute; no query or fragment). */
function fileUrlPath(given: string, refuse: (problem: string) => never): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return refuse('not a valid file: URL; give a path, or file:///absolute/path');
  }
  if (url.search !== '' || url.hash !== '') refuse('a file: URL with ?parameters or a #fragment is not supported; give the path alone');
  if (!given.startsWith('file://')) refuse('a file: URL must be absolute (file:///absolute/path); give a relative path as it is, without file:');
  try {
    return fileURLToPath(url);
  } catch (e) {
    return refuse(`not a usable file: URL (${(e as Error).message}); give a path, or file:///absolute/path`);
  }
}

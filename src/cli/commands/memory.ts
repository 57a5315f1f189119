/**
 * `warden memory serve|import|export`: the memory server (MCP over stdio or Streamable HTTP) on
 * the Warden store or a JSONL file, and moving graphs in and out in the reference server's
 * JSONL format. In `serve` over stdio, stdout carries only the protocol; everything else
 * (repairs, a supervisor giving up) goes to stderr.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Crash, formatReason, isWardenError, type ExitReason } from '../../runtime/index.ts';
import {
  exportJsonl,
  importJsonl,
  isLoopbackHost,
  MEMORY_HTTP_DEFAULTS,
  MIN_TOKEN_LENGTH,
  openMemoryGraph,
  serveMemory,
  toJsonl,
  type MemoryBackendOptions,
  type MemoryGraph,
  type MemoryHttpOptions,
} from '../../memory/index.ts';
import { UsageError, booleanOptions, integerOption, stringOptions, subcommand, type CliIO, type Command, type ParsedArgs } from '../command.ts';
import { listenError, untilStopped } from './files.ts';
import { checkedLocation } from '../store-options.ts';

/** The backend the options name, its location checked by the store (a mistyped URL scheme, an unexpanded `${VAR}`, a directory: usage errors). */
function backendOf(args: ParsedArgs, io: CliIO): MemoryBackendOptions {
  const file = args.values.file;
  const db = args.values.db;
  if (file !== undefined && db !== undefined) throw new UsageError('give either --file or --db, not both');
  if (file !== undefined) {
    if (String(file) === '') throw new UsageError('--file must not be empty');
    if (args.values.graph !== undefined || args.values.schema !== undefined)
      throw new UsageError('--graph and --schema apply to the store (--db), not to --file');
    const target = checkedLocation(io, { db: String(file), accept: 'file', name: '--file' });
    return { file: target.kind === 'sqlite' ? target.path : resolve(io.cwd, String(file)) };
  }
  if (db === '') throw new UsageError('--db must not be empty');
  const graph = args.values.graph === undefined ? undefined : String(args.values.graph);
  if (graph === '') throw new UsageError('--graph must not be empty');
  const target = checkedLocation(io, {
    name: '--db',
    ...(db === undefined ? {} : { db: String(db) }),
    ...(args.values.schema === undefined ? {} : { schema: String(args.values.schema) }),
  });
  // The location as resolved here (against io.cwd and io.env): `serve` opens it away from this
  // function, where a relative path would otherwise be taken from the process's own folder.
  return {
    db: target.kind === 'sqlite' ? target.path : target.url,
    ...(args.values.schema === undefined ? {} : { schema: String(args.values.schema) }),
    ...(graph === undefined ? {} : { graph }),
  };
}

/**
 * Why the graph service failed, whole: the error it crashed with (found inside a supervisor's
 * exit reason, e.g. `{ shutdown: ['failed_to_start_child', 'graph', crash] }`), else the reason.
 */
function failure(reason: ExitReason): string {
  const seen = new Set<unknown>();
  const find = (term: unknown, depth: number): Crash | undefined => {
    if (term instanceof Crash) return term;
    if (typeof term !== 'object' || term === null || depth > 8 || seen.has(term)) return undefined;
    seen.add(term);
    for (const v of Array.isArray(term) ? term : Object.values(term)) {
      const found = find(v, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const crash = find(reason, 0);
  if (crash === undefined) return formatReason(reason);
  return isWardenError(crash.error) ? crash.error.message : crash.describe();
}

/** The HTTP front's options; a token is required off loopback (checked here, to say it in the command's terms). */
function httpOptionsOf(args: ParsedArgs, io: CliIO, port: number): MemoryHttpOptions {
  const host = args.values.host === undefined ? undefined : String(args.values.host);
  if (host === '') throw new UsageError('--host must not be empty');
  const given = args.values.token === undefined ? io.env.WARDEN_MEMORY_TOKEN : String(args.values.token);
  const token = given === '' ? undefined : given;
  const source = args.values.token === undefined ? '$WARDEN_MEMORY_TOKEN' : '--token';
  if (token !== undefined && (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))) {
    throw new UsageError(`${source} must be at least ${MIN_TOKEN_LENGTH} characters with no whitespace (got ${token.length} characters)`);
  }
  if (token === undefined && host !== undefined && !isLoopbackHost(host)) {
    throw new UsageError(
      `--host ${host} is not loopback, so a token is required (anyone who can reach the port could read and change the graph): give --token or set WARDEN_MEMORY_TOKEN`,
    );
  }
  return {
    port,
    ...(host === undefined ? {} : { host }),
    ...(token === undefined ? {} : { token }),
    maxSessions: integerOption(args, 'max-sessions', MEMORY_HTTP_DEFAULTS.maxSessions, 1),
    sessionIdleMs: integerOption(args, 'session-idle-ms', MEMORY_HTTP_DEFAULTS.sessionIdleMs, 1),
  };
}

const BACKEND_HELP = `  --file FILE         keep the graph in this JSONL file (the reference server's format)
  --db <path|url>     keep it in the Warden store: a SQLite file or a postgres:// URL
                      (default: $WARDEN_DATABASE_URL, else ./.warden/warden.db)
  --schema NAME       Postgres schema for the store's tables
  --graph NAME        the graph's name in the store (default: default)`;

export const memoryCommand: Command = {
  name: 'memory',
  help: `Usage: warden memory serve [--file FILE | --db <path|url>] [--graph NAME]
                           [--http [--port N] [--host H] [--token T] [--max-sessions N]
                           [--session-idle-ms MS]] [--isolation inline|process] [--no-share]
       warden memory import <file.jsonl> [--file FILE | --db <path|url>] [--graph NAME] [--skip-invalid]
       warden memory export [--out FILE] [--file FILE | --db <path|url>] [--graph NAME]

serve   Runs an MCP server with the reference memory server's tools (create_entities,
        create_relations, add_observations, delete_entities, delete_observations,
        delete_relations, read_graph, search_nodes, open_nodes). Over stdio by default
        (point an MCP client's "command" at it); with --http, Streamable HTTP at
        http://HOST:PORT/mcp. Any number of servers may share one store or one file:
        writes are serialised and none is lost. The graph runs under a supervisor that
        restarts it if it crashes; corrupt lines in a file are skipped, named on stderr
        and kept in FILE.rejected. Servers on one SQLite store or file share one writer:
        the first listens on a socket beside it (FILE.writer.sock) and makes the writes
        of the others, many in one commit (--no-share: each writes for itself).
import  Merges a JSONL file (the reference's format) into the graph, in one write. A bad
        line stops the import, naming it, unless --skip-invalid.
export  Writes the graph as reference JSONL to --out (atomically) or to stdout.

Options:
${BACKEND_HELP}
  --http              serve Streamable HTTP instead of stdio
  --port N            HTTP port; 0 picks a free one (default 0)
  --host H            HTTP address (default 127.0.0.1: loopback only). On loopback, a
                      request whose Host or Origin is not a loopback name is refused
  --token T           require "Authorization: Bearer T" on every HTTP request (at least
                      16 characters; default: $WARDEN_MEMORY_TOKEN). Required when --host
                      is not loopback (0.0.0.0, a LAN address)
  --max-sessions N    HTTP sessions open at once (default 256); when full, the least
                      recently used one not in a call is closed to make room
  --session-idle-ms MS  close an HTTP session unused this long (default 1800000: 30 min)
  --isolation I       where the graph runs: inline (default) or process (its own OS process)
  --no-share          serve: write for this server only, through the store's lock, instead
                      of sharing one writer with the other servers on the graph
  --skip-invalid      import: skip bad lines (reported on stderr) instead of stopping
  --out FILE          export: the file to write (default: stdout)
  -h, --help          show this help

Examples:
  warden memory serve --file ~/.agents/memory.jsonl
  warden memory serve --http --port 8788 --db postgres://warden@db/agents --graph team
  warden memory import old-memory.jsonl --db ./.warden/warden.db
`,
  options: {
    ...stringOptions('file', 'db', 'schema', 'graph', 'port', 'host', 'token', 'max-sessions', 'session-idle-ms', 'isolation', 'out'),
    ...booleanOptions('http', 'no-share', 'skip-invalid'),
  },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, ['serve', 'import', 'export'] as const);
    const backend = backendOf(args, io);
    if (sub !== 'serve' && args.values['no-share'] !== undefined) throw new UsageError('--no-share applies to serve only');
    const fail = (e: unknown): number => {
      if (isWardenError(e, 'SUPERVISOR_START_FAILED')) {
        io.stderr.write(`warden memory: cannot start the graph: ${failure((e as unknown as { reason: ExitReason }).reason)}\n`);
        return 1;
      }
      if (isWardenError(e)) {
        io.stderr.write(`warden memory: ${(e as Error).message}\n`);
        return 1;
      }
      throw e;
    };
    /** Open the graph, run `use` on it, close it; a Warden error (opening or using it) is reported and exits 1, a usage error exits 2. */
    const withGraph = async (use: (graph: MemoryGraph) => Promise<void>): Promise<number> => {
      let graph: MemoryGraph;
      try {
        graph = await openMemoryGraph(backend, { env: io.env, cwd: io.cwd, warn: (m) => io.stderr.write(`warden memory: ${m}\n`) });
      } catch (e) {
        return fail(e);
      }
      try {
        await use(graph);
        return 0;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        return fail(e);
      } finally {
        await graph.close();
      }
    };
    if (sub === 'serve') {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const http = args.values.http === true;
      const httpOnly = ['port', 'host', 'token', 'max-sessions', 'session-idle-ms'].filter((o) => args.values[o] !== undefined);
      if (!http && httpOnly.length > 0)
        throw new UsageError(
          httpOnly.every((o) => o === 'port' || o === 'host')
            ? '--port and --host need --http'
            : `--${httpOnly.find((o) => o !== 'port' && o !== 'host')} needs --http`,
        );
      const port = integerOption(args, 'port', 0);
      if (port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${port}")`);
      const httpOptions = http ? httpOptionsOf(args, io, port) : undefined;
      const isolation = args.values.isolation === undefined ? 'inline' : String(args.values.isolation);
      if (isolation !== 'inline' && isolation !== 'process') throw new UsageError(`--isolation must be inline or process (got "${isolation}")`);
      let server;
      try {
        server = await serveMemory({
          backend,
          isolation,
          shareWrites: args.values['no-share'] !== true,
          transport: httpOptions === undefined ? 'stdio' : { http: httpOptions },
        });
      } catch (e) {
        if (http) {
          const mapped = listenError(e, port);
          if (mapped !== e) throw mapped;
        }
        return fail(e);
      }
      server.runtime.events.on('memory.writer', (e) =>
        io.stderr.write(
          e.role === 'writer'
            ? `warden memory: this server writes for every server on the graph (they connect at ${e.address})\n`
            : e.role === 'client'
              ? `warden memory: writes go to the server that writes for the graph (at ${e.address})\n`
              : `warden memory: writing alone for now (${e.why ?? 'no writer'}); nothing is lost, sharing is tried again later\n`,
        ),
      );
      server.runtime.events.on('memory.message_refused', (e) =>
        io.stderr.write(`warden memory: refused a message of ${e.bytes} bytes on stdin (the limit is ${e.limit}); answered it with an error and read on\n`),
      );
      server.runtime.events.on('supervisor.child_exited', (e) =>
        io.stderr.write(`warden memory: the graph service stopped (${failure(e.reason)}); restarting it\n`),
      );
      // Listen for the signals before printing the URL: whoever reads it may stop the server at once.
      const stopping = untilStopped();
      if (http) io.stderr.write(`warden memory: listening on ${server.url}\n`);
      const stopped = await Promise.race([server.done, stopping]);
      await server.close();
      const reason = await server.done;
      if (reason !== 'normal' && stopped !== 'SIGINT' && stopped !== 'SIGTERM') {
        io.stderr.write(`warden memory: the graph service kept failing; giving up (${failure(reason)})\n`);
        return 1;
      }
      return 0;
    }
    if (sub === 'import') {
      const [input, ...extra] = rest;
      if (input === undefined) throw new UsageError('give the JSONL file to import');
      if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
      const file = resolve(io.cwd, input);
      if (!existsSync(file)) throw new UsageError(`no such file: ${input}`);
      return withGraph(async (graph) => {
        try {
          const r = await importJsonl(graph, file, { skipInvalid: args.values['skip-invalid'] === true });
          for (const bad of r.rejected) io.stderr.write(`warden memory: ${input}:${bad.line}: ${bad.reason}; skipped\n`);
          io.stdout.write(
            `imported ${input}: ${r.entitiesCreated} entities created, ${r.observationsAdded} observations added, ${r.relationsCreated} relations created\n`,
          );
        } catch (e) {
          if (!isWardenError(e) && e instanceof Error && e.message.includes('nothing was imported')) throw new UsageError(e.message);
          throw e;
        }
      });
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    if (args.values.out !== undefined && String(args.values.out).trim() === '') throw new UsageError('--out is empty; give the file to write');
    return withGraph(async (graph) => {
      if (args.values.out === undefined) {
        io.stdout.write(toJsonl(await graph.read({ tool: 'read_graph' })));
      } else {
        const out = resolve(io.cwd, String(args.values.out));
        const n = await exportJsonl(graph, out).catch((e: unknown) => {
          // A place no file can be written (a directory, a missing folder, no permission) is bad input, named.
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== undefined && ['EISDIR', 'ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ENAMETOOLONG'].includes(code)) {
            throw new UsageError(`--out ${out}: cannot write the file there (${code})`);
          }
          throw e;
        });
        io.stderr.write(`exported ${n.entities} entities and ${n.relations} relations to ${out}\n`);
      }
    });
  },
};

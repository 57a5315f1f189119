/**
 * `warden cluster status`: the nodes of the cluster in a Postgres store, with their liveness
 * (alive, overdue, dead, left), since when, their last heartbeat and what they report running,
 * then the shared breakers' states and the shared budgets' totals. A SQLite store is refused in
 * one line: the cluster needs Postgres.
 */
import { realClock } from '../../runtime/index.ts';
import { UsageError, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, checkedLocation, withStore } from '../store-options.ts';
import { preview, table, time } from '../table.ts';

const SUBS = ['status'] as const;

export const clusterCommand: Command = {
  name: 'cluster',
  help: `Usage: warden cluster status [--db <postgres-url>] [--json]

The nodes of the Warden cluster in a Postgres database: each node's name and id,
its liveness (alive; overdue: quiet past its timeout, not yet declared dead; dead;
left), since when, its last heartbeat, and the summary it reports (e.g. the runs
it holds); then the shared circuit breakers and the shared budgets.

Options:
${DB_HELP}
  --json           print one JSON object { nodes, breakers, budgets }
  -h, --help       show this help

Examples:
  warden cluster status --db postgres://warden@db/prod
  WARDEN_DATABASE_URL=postgres://warden@db/prod warden cluster status --json
`,
  options: { ...DB_OPTION, json: { type: 'boolean' } },
  positionals: true,
  async run(args, io) {
    const { rest } = subcommand(args, SUBS);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const db = args.values.db === undefined ? undefined : String(args.values.db);
    const target = checkedLocation(io, { name: '--db', ...(db === undefined || db === '' ? {} : { db }) });
    if (target.kind !== 'postgres') {
      io.stderr.write(`warden cluster: the cluster needs Postgres: ${target.path} is a SQLite file; pass --db postgres://... or set WARDEN_DATABASE_URL\n`);
      return 1;
    }
    const { clusterStatus } = await import('../../cluster/index.ts');
    return withStore('cluster', args, io, async (store) => {
      const now = realClock.now();
      const status = await clusterStatus(store, now);
      if (args.values.json === true) {
        io.stdout.write(`${JSON.stringify(status)}\n`);
        return 0;
      }
      if (status.nodes.length === 0) io.stdout.write('no node has joined the cluster\n');
      else
        io.stdout.write(
          table(
            ['NAME', 'ID', 'LIVENESS', 'SINCE', 'HEARTBEAT', 'HOST', 'RUNNING'],
            status.nodes.map((n) => [
              n.name,
              n.id,
              n.liveness,
              time(n.since),
              `${Math.max(0, Math.round((now - n.heartbeatAt) / 1000))}s ago`,
              `${n.host}:${n.pid}`,
              runningOf(n.summary),
            ]),
          ),
        );
      if (status.breakers.length > 0) {
        io.stdout.write(
          `\n${table(
            ['BREAKER', 'STATE', 'UNTIL', 'BY'],
            status.breakers.map((b) => [b.name, b.state.kind, b.state.kind === 'open' ? time(b.state.openUntil) : '-', b.updatedBy]),
          )}`,
        );
      }
      if (status.budgets.length > 0) {
        io.stdout.write(
          `\n${table(
            ['BUDGET', 'SPENT USD', 'SPENT TOKENS', 'STEPS', 'IN FLIGHT USD'],
            status.budgets.map((b) => [b.scope, String(round(b.spent.usd)), String(b.spent.tokens), String(b.spent.steps), String(round(b.reserved.usd))]),
          )}`,
        );
      }
      return 0;
    });
  },
};

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** A node's summary as a cell: `3 runs` for a `heldRunsSummary`, else its JSON, cut short. */
function runningOf(summary: unknown): string {
  if (summary === null || summary === undefined) return '-';
  const runs = (summary as { runs?: unknown }).runs;
  if (typeof runs === 'number') return `${runs} run${runs === 1 ? '' : 's'}`;
  return preview(summary, 40);
}

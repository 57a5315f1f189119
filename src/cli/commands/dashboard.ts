/**
 * `warden dashboard`: serve the web dashboard over a store until interrupted, printing its URL
 * with the access token. The dashboard module (and hono, preact, uPlot) loads only here.
 */
import { isWardenError } from '../../runtime/index.ts';
import { UsageError, integerOption, stringOptions, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { listenError, untilStopped } from './files.ts';

export const dashboardCommand: Command = {
  name: 'dashboard',
  help: `Usage: warden dashboard [--db <path|url>] [--port <p>] [--host 127.0.0.1]

Serves a web page, live, over the store: the supervision trees, breakers, budgets
and health of every host that publishes snapshots (publishHostSnapshots), runs
with their journals, effects and approvals, the dead-letter queue (replay,
discard), approvals (approve, deny), quarantine, schedules and alerts, with
restarts and spend plotted over time; the same data as JSON under /api/.
Decisions and replays are recorded exactly as 'warden approvals' and 'warden dlq'
record them. Prints the URL with its access token, which every request needs
(?token=, Authorization: Bearer, or the cookie the page sets). Runs until Ctrl-C.

Options:
${DB_HELP}
  --port <p>       port to listen on; 0 picks a free one (default 0)
  --host <h>       address to listen on (default 127.0.0.1)
  -h, --help       show this help

Examples:
  warden dashboard
  warden dashboard --db postgres://warden@db/warden --port 8790
`,
  options: { ...DB_OPTION, ...stringOptions('port', 'host') },
  positionals: true,
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const port = integerOption(args, 'port', 0);
    if (port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${port}")`);
    const host = args.values.host === undefined ? '127.0.0.1' : String(args.values.host);
    if (host === '') throw new UsageError('--host must not be empty');
    return withStore('dashboard', args, io, async (store) => {
      const { startDashboard } = await import('../../dashboard/index.ts');
      const { dashboardProviders } = await import('../../dashboard/providers.ts');
      let dashboard;
      try {
        dashboard = await startDashboard({ store, port, host, providers: await dashboardProviders() });
      } catch (e) {
        if (isWardenError(e, 'INVALID_SPEC')) throw new UsageError((e as Error).message);
        throw listenError(e, port);
      }
      // Listen for the signals before printing the URL: whoever reads it may stop the dashboard at once.
      const stopping = untilStopped();
      io.stdout.write(`warden dashboard: ${dashboard.url}\n`);
      const signal = await stopping;
      await dashboard.close();
      io.stdout.write(`warden dashboard: stopped (${signal})\n`);
      return 0;
    });
  },
};

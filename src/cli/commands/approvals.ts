/**
 * `warden approvals list|approve|deny`: actions waiting for a person. A decision is recorded
 * with who and why in the audit trail, and the run is asked to resume; a host serving the run
 * picks it up (a denied action is never executed: the run gets ApprovalDeniedError there).
 */
import { APPROVAL_STATUSES, type ApprovalStatus } from '../../store/index.ts';
import { Approvals } from '../../durable/index.ts';
import { choice, idUnlessList, onlyFor, required, stringOptions, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { LIST_JSON_HELP, LIST_JSON_OPTIONS, listFormat, preview, table, time, writeJsonList } from '../table.ts';

const SUBS = ['list', 'approve', 'deny'] as const;

export const approvalsCommand: Command = {
  name: 'approvals',
  help: `Usage: warden approvals list [--status S] [--run ID] [--json | --jsonl]
       warden approvals approve <approval-id> --by WHO --reason TEXT
       warden approvals deny <approval-id> --by WHO --reason TEXT

Steps and effects marked irreversible, or matched by an approval policy, suspend their
run until a person decides. A decision is final and is recorded in the audit trail
(who, when, why); the run then resumes on a host serving it. A denied action is never
executed.

Options:
${DB_HELP}
  --status <s>     list: ${APPROVAL_STATUSES.join(', ')} or all (default pending)
  --run <id>       list: only this run's approvals
  --by <who>       approve, deny: who decides (required)
  --reason <text>  approve, deny: why (required)
${LIST_JSON_HELP}
  -h, --help       show this help

Examples:
  warden approvals list
  warden approvals approve 0b6f...:4 --by alice --reason "invoice checked"
  warden approvals deny 0b6f...:4 --by alice --reason "wrong recipient"
`,
  options: { ...DB_OPTION, ...stringOptions('status', 'run', 'by', 'reason'), ...LIST_JSON_OPTIONS },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, SUBS);
    onlyFor(args, sub, { status: ['list'], run: ['list'], by: ['approve', 'deny'], reason: ['approve', 'deny'], json: ['list'], jsonl: ['list'] });
    const format = listFormat(args);
    const status = choice<ApprovalStatus | 'all'>(args, 'status', [...APPROVAL_STATUSES, 'all']) ?? 'pending';
    const id = idUnlessList(sub, rest, 'approval id');
    const by = sub === 'list' ? '' : required(args, 'by', 'who decides goes in the audit trail');
    const reason = sub === 'list' ? '' : required(args, 'reason', 'why goes in the audit trail');
    return withStore(
      'approvals',
      args,
      io,
      async (store) => {
        const approvals = new Approvals(store);
        if (sub === 'list') {
          const list = await approvals.list({
            ...(status === 'all' ? {} : { status }),
            ...(args.values.run === undefined ? {} : { runId: String(args.values.run) }),
          });
          if (writeJsonList(io, format, list)) return 0;
          if (list.length === 0) io.stdout.write(`no ${status === 'all' ? '' : `${status} `}approvals\n`);
          else
            io.stdout.write(
              table(
                ['ID', 'ACTION', 'STATUS', 'REQUESTED', 'WHY', 'DETAILS'],
                list.map((a) => [
                  a.id,
                  a.action,
                  a.status + (a.decidedBy === undefined ? '' : ` by ${a.decidedBy}`),
                  time(a.requestedAt),
                  a.reason,
                  preview(a.details, 50),
                ]),
              ),
            );
          return 0;
        }
        const decided = sub === 'approve' ? await approvals.approve(id!, { by, reason }) : await approvals.deny(id!, { by, reason });
        io.stdout.write(`approval ${decided.id} ${decided.status} by ${by}; run ${decided.runId} will resume on a host serving it\n`);
        return 0;
      },
      { readOnly: sub === 'list' },
    );
  },
};

/**
 * `warden runs list|show|resume|cancel`: durable runs in the store. `resume` and `cancel` mark
 * the run; a host serving its definition acts on the mark (cancel takes effect at once when no
 * host is executing the run).
 */
import { realClock } from '../../runtime/index.ts';
import { RUN_STATUSES, type RunStatus } from '../../store/index.ts';
import { RunCancelledError, toStoredError } from '../../durable/index.ts';
import { UsageError, integerOption, choice, idUnlessList, onlyFor, stringOptions, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { LIST_JSON_HELP, LIST_JSON_OPTIONS, listFormat, preview, table, time, writeJsonList } from '../table.ts';

const SUBS = ['list', 'show', 'resume', 'cancel'] as const;

export const runsCommand: Command = {
  name: 'runs',
  help: `Usage: warden runs list [--status S] [--name N] [--limit N] [--json | --jsonl]
       warden runs show <run-id> [--json]
       warden runs resume <run-id> [--effect <key> --outcome done|not_done] [--by WHO]
       warden runs cancel <run-id> [--reason TEXT] [--by WHO]

Durable runs in the store. 'resume' asks for a suspended or failed run to be resumed
(a failed run retries from its failed step); a host process serving the run's
definition picks it up on its next poll. A run suspended on an uncertain effect
needs to be told what happened first: check the service, then pass --effect with the
effect's idempotency key (see 'show') and --outcome done (it happened: not repeated)
or not_done (it did not: done again with the same key). 'cancel' cancels at once a
run no host is executing (suspended, failed, or abandoned), else asks its host to.

Options:
${DB_HELP}
  --status <s>     list: only runs in this status (${RUN_STATUSES.join(', ')})
  --name <n>       list: only runs of this definition
  --limit <n>      list: at most this many, newest first (default 50)
  --effect <key>   resume: the uncertain effect to resolve
  --outcome <o>    resume: what happened to it: done or not_done
  --reason <text>  cancel: why (recorded in the audit trail)
  --by <who>       resume, cancel: who (recorded in the audit trail; default 'cli')
${LIST_JSON_HELP}
  -h, --help       show this help

Examples:
  warden runs list --status suspended
  warden runs show 0b6f3c1e-...
  warden runs resume 0b6f3c1e-... --effect 0b6f3c1e-...:3:send-mail --outcome done --by alice
  warden runs cancel 0b6f3c1e-... --reason "customer withdrew" --by bob
`,
  options: { ...DB_OPTION, ...stringOptions('status', 'name', 'limit', 'effect', 'outcome', 'reason', 'by'), ...LIST_JSON_OPTIONS },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, SUBS);
    onlyFor(args, sub, {
      status: ['list'],
      name: ['list'],
      limit: ['list'],
      effect: ['resume'],
      outcome: ['resume'],
      reason: ['cancel'],
      by: ['resume', 'cancel'],
      json: ['list', 'show'],
      jsonl: ['list'],
    });
    const format = listFormat(args);
    const status = choice<RunStatus>(args, 'status', RUN_STATUSES);
    const limit = integerOption(args, 'limit', 50, 1);
    const outcome = choice(args, 'outcome', ['done', 'not_done'] as const);
    if ((args.values.effect === undefined) !== (outcome === undefined)) throw new UsageError('--effect and --outcome go together');
    const id = idUnlessList(sub, rest, 'run id');
    const by = args.values.by === undefined ? 'cli' : String(args.values.by);
    return withStore(
      'runs',
      args,
      io,
      async (store) => {
        const now = realClock.now();
        switch (sub) {
          case 'list': {
            const runs = await store.listRuns({
              ...(status === undefined ? {} : { status }),
              ...(args.values.name === undefined ? {} : { name: String(args.values.name) }),
              limit,
            });
            if (writeJsonList(io, format, runs)) return 0;
            if (runs.length === 0) io.stdout.write('no runs\n');
            else
              io.stdout.write(
                table(
                  ['ID', 'NAME', 'STATUS', 'UPDATED', 'DETAIL'],
                  runs.map((r) => [
                    r.id,
                    r.name,
                    r.status + (r.request === undefined ? '' : ` (${r.request} requested)`),
                    time(r.updatedAt),
                    r.status === 'suspended'
                      ? `${r.suspendReason ?? ''} ${preview(r.suspendDetail, 50)}`
                      : r.error !== undefined
                        ? r.error.message.slice(0, 60)
                        : r.owner === undefined
                          ? ''
                          : `owner ${r.owner}`,
                  ]),
                ),
              );
            return 0;
          }
          case 'show': {
            const run = await store.getRun(id!);
            if (run === undefined) throw new UsageError(`no run ${id}`);
            const journal =
              (await store.readJournal(run.id)).length > 0 || run.archivedAt === undefined
                ? await store.readJournal(run.id)
                : ((await store.readArchivedJournal(run.id)) ?? []);
            const effects = await store.listEffects(run.id);
            const approvals = await store.listApprovals({ runId: run.id });
            if (args.values.json === true) {
              io.stdout.write(`${JSON.stringify({ run, journal, effects, approvals })}\n`);
              return 0;
            }
            const lines = [
              `run       ${run.id}`,
              `name      ${run.name}`,
              `status    ${run.status}${run.request === undefined ? '' : ` (${run.request} requested)`}`,
              ...(run.suspendReason === undefined ? [] : [`suspended ${run.suspendReason} ${preview(run.suspendDetail, 200)}`]),
              ...(run.error === undefined ? [] : [`error     ${run.error.message}`]),
              ...(run.output === undefined ? [] : [`output    ${preview(run.output, 200)}`]),
              `input     ${preview(run.input, 200)}`,
              `trace     ${run.traceId}`,
              `epoch     ${run.epoch}${run.owner === undefined ? '' : ` (owner ${run.owner}, lease until ${time(run.leaseExpiresAt)})`}`,
              `created   ${time(run.createdAt)}   updated ${time(run.updatedAt)}${run.finishedAt === undefined ? '' : `   finished ${time(run.finishedAt)}`}`,
              ...(run.archivedAt === undefined ? [] : [`archived  ${time(run.archivedAt)}`]),
              ...(run.replayOf === undefined ? [] : [`replays   dead letter ${run.replayOf}`]),
              '',
              `journal (${journal.length} entries)`,
            ];
            io.stdout.write(`${lines.join('\n')}\n`);
            io.stdout.write(
              table(
                ['SEQ', 'KIND', 'NAME', 'OUTCOME', 'VALUE'],
                journal.map((e) => [
                  String(e.seq),
                  e.kind,
                  e.name,
                  e.outcome,
                  e.outcome === 'ok' ? preview(e.valueJson === undefined ? undefined : JSON.parse(e.valueJson)) : (e.error?.message ?? ''),
                ]),
              ),
            );
            if (effects.length > 0) {
              io.stdout.write(
                `\neffects\n${table(
                  ['SEQ', 'NAME', 'STATUS', 'KEY'],
                  effects.map((e) => [String(e.seq), e.name, e.status === 'intent' ? 'UNCERTAIN (intent, no outcome)' : e.status, e.key]),
                )}`,
              );
            }
            if (approvals.length > 0) {
              io.stdout.write(
                `\napprovals\n${table(
                  ['ID', 'ACTION', 'STATUS', 'BY', 'REASON'],
                  approvals.map((a) => [a.id, a.action, a.status, a.decidedBy ?? '', a.decisionReason ?? a.reason]),
                )}`,
              );
            }
            return 0;
          }
          case 'resume': {
            const run = await store.getRun(id!);
            if (run === undefined) throw new UsageError(`no run ${id}`);
            if (run.status !== 'suspended' && run.status !== 'failed')
              throw new UsageError(`run ${id} is ${run.status}; only suspended or failed runs can be resumed`);
            if (args.values.effect !== undefined) {
              const key = String(args.values.effect);
              const effect = await store.getEffect(key);
              if (effect === undefined || effect.runId !== run.id) throw new UsageError(`run ${id} has no effect with key ${key}`);
              if (effect.status !== 'intent') throw new UsageError(`effect ${key} is ${effect.status}, not uncertain`);
              await store.resolveEffect(key, outcome!, now);
              await store.appendAudit({ at: now, actor: by, action: `effect.${outcome!}`, subject: `effect:${key}` });
            } else if (run.suspendReason === 'uncertain_effect') {
              const key = (run.suspendDetail as { key?: string } | undefined)?.key ?? '?';
              const effect = await store.getEffect(key);
              if (effect?.status === 'intent')
                throw new UsageError(`run ${id} waits on the uncertain effect ${key}: check the service, then pass --effect ${key} --outcome done|not_done`);
            } else if (run.suspendReason === 'approval') {
              const approval = (run.suspendDetail as { approvalId?: string } | undefined)?.approvalId;
              throw new UsageError(`run ${id} waits for approval ${approval ?? ''}: use 'warden approvals approve|deny'`);
            }
            await store.requestRun(run.id, 'resume', now);
            await store.appendAudit({ at: now, actor: by, action: 'run.resume', subject: `run:${run.id}` });
            io.stdout.write(`resume of run ${run.id} requested; a host serving "${run.name}" will pick it up\n`);
            return 0;
          }
          case 'cancel': {
            const run = await store.getRun(id!);
            if (run === undefined) throw new UsageError(`no run ${id}`);
            if (run.status === 'completed' || run.status === 'cancelled') throw new UsageError(`run ${id} is already ${run.status}`);
            const reason = args.values.reason === undefined ? 'cancelled from the CLI' : String(args.values.reason);
            await store.appendAudit({ at: now, actor: by, action: 'run.cancel', subject: `run:${run.id}`, reason });
            const done = await store.cancelIdleRun(run.id, toStoredError(new RunCancelledError(run.id, reason)), now);
            if (done !== undefined) {
              io.stdout.write(`run ${run.id} cancelled\n`);
              return 0;
            }
            await store.requestRun(run.id, 'cancel', now);
            io.stdout.write(`run ${run.id} is executing under ${run.owner ?? 'a host'}; cancel requested (it stops at its next step)\n`);
            return 0;
          }
        }
      },
      { readOnly: sub === 'list' || sub === 'show' },
    );
  },
};

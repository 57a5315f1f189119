/**
 * `warden schedules list|show|pause|resume|trigger`: the durable scheduler's schedules in a
 * store. `list` shows each schedule's timing, state, next slot and success rate; `show` one
 * schedule with its recent slots (missed ones with their cause). `pause`, `resume` and `trigger`
 * mark the store; a running scheduler picks the marks up at its next tick (a triggered slot is
 * started by a scheduler that defines the schedule).
 */
import { isWardenError } from '../../runtime/index.ts';
import { openSchedules, SLOT_STATUSES, type ScheduleInfo, type SlotRecord, type SlotStatus, type Timing } from '../../scheduler/index.ts';
import { UsageError, choice, idUnlessList, integerOption, onlyFor, stringOptions, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { LIST_JSON_HELP, LIST_JSON_OPTIONS, listFormat, preview, table, time, writeJsonList } from '../table.ts';

const SUBS = ['list', 'show', 'pause', 'resume', 'trigger'] as const;

export const schedulesCommand: Command = {
  name: 'schedules',
  help: `Usage: warden schedules list [--json | --jsonl]
       warden schedules show <id> [--slots N] [--status S] [--json]
       warden schedules pause <id> [--by WHO] [--reason TEXT]
       warden schedules resume <id> [--by WHO]
       warden schedules trigger <id> [--by WHO]

Schedules of the durable scheduler (warden/scheduler): cron, interval or one-off
timings whose slots each become one durable run. 'show' lists the latest slots:
pending, started, completed, failed (with the dead letter), cancelled, or missed
with the cause (paused, downtime, catch_up_limit, overlap, queue_full).
'pause' records the slots that come due as missed until 'resume'. 'trigger' asks
for a slot now (also while paused); a scheduler that defines the schedule starts
it at its next tick.

Options:
${DB_HELP}
  --slots <n>      show: the latest this many slots (default 20)
  --status <s>     show: only slots in this status (${SLOT_STATUSES.join(', ')})
  --by <who>       pause, resume, trigger: who (default 'cli')
  --reason <text>  pause: why
${LIST_JSON_HELP}
  -h, --help       show this help

Examples:
  warden schedules list
  warden schedules show nightly-digest --status missed
  warden schedules pause nightly-digest --reason "provider outage"
  warden schedules trigger nightly-digest
`,
  options: { ...DB_OPTION, ...stringOptions('slots', 'status', 'by', 'reason'), ...LIST_JSON_OPTIONS },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, SUBS);
    onlyFor(args, sub, {
      slots: ['show'],
      status: ['show'],
      by: ['pause', 'resume', 'trigger'],
      reason: ['pause'],
      json: ['list', 'show'],
      jsonl: ['list'],
    });
    const format = listFormat(args);
    const limit = integerOption(args, 'slots', 20, 1);
    const status = choice<SlotStatus>(args, 'status', SLOT_STATUSES);
    const id = idUnlessList(sub, rest, 'schedule id');
    const by = args.values.by === undefined ? 'cli' : String(args.values.by);
    return withStore('schedules', args, io, async (store) => {
      const schedules = await openSchedules(store);
      try {
        switch (sub) {
          case 'list': {
            const all = await schedules.list();
            if (writeJsonList(io, format, all)) return 0;
            if (all.length === 0) io.stdout.write('no schedules (a scheduler defines them when it opens: openScheduler({ schedules }))\n');
            else
              io.stdout.write(
                table(
                  ['ID', 'RUN', 'TIMING', 'STATE', 'NEXT SLOT', 'OK', 'FAILED', 'MISSED', 'SUCCESS'],
                  all.map((s) => [
                    s.id,
                    s.runName,
                    timingText(s.schedule.timing),
                    stateOf(s),
                    s.nextSlotAt === undefined ? '-' : time(s.nextSlotAt),
                    String(s.counts.completed),
                    String(s.counts.failed + s.counts.cancelled),
                    String(s.counts.missed),
                    rate(s.successRate),
                  ]),
                ),
              );
            return 0;
          }
          case 'show': {
            const s = await schedules.require(id!);
            const slots = await schedules.slots({ scheduleId: s.id, limit, ...(status === undefined ? {} : { status }) });
            if (args.values.json === true) {
              io.stdout.write(`${JSON.stringify({ ...s, slots })}\n`);
              return 0;
            }
            const p = s.schedule;
            io.stdout.write(
              [
                `schedule ${s.id}${p.description === undefined ? '' : ` (${p.description})`}`,
                `run        ${s.runName}`,
                `timing     ${timingText(p.timing)}${p.startAt === undefined ? '' : `, from ${time(p.startAt)}`}${p.endAt === undefined ? '' : `, until ${time(p.endAt)}`}`,
                `policies   catchUp ${p.catchUp}${p.catchUp === 'all' ? ` (limit ${p.catchUpLimit})` : ''}, graceMs ${p.graceMs}, overlap ${p.overlap}${p.overlap === 'queue' ? ` (limit ${p.queueLimit})` : ''}, jitterMs ${p.jitterMs}`,
                `state      ${stateOf(s)}${s.paused && s.pausedReason !== undefined ? ` (${s.pausedReason})` : ''}${s.paused ? ` by ${s.pausedBy ?? '?'} at ${time(s.pausedAt)}` : ''}`,
                `next slot  ${s.nextSlotAt === undefined ? '- (ended)' : time(s.nextSlotAt)}`,
                `slots      ${s.counts.completed} completed, ${s.counts.failed} failed, ${s.counts.cancelled} cancelled, ${s.counts.missed} missed; success rate ${rate(s.successRate)}`,
                '',
              ].join('\n'),
            );
            if (slots.length === 0) io.stdout.write(`no ${status ?? ''}${status === undefined ? '' : ' '}slots yet\n`);
            else
              io.stdout.write(
                table(
                  ['SLOT', 'KIND', 'STATUS', 'DETAIL'],
                  slots.map((x) => [time(x.slotAt), x.kind, x.status, detailOf(x)]),
                ),
              );
            return 0;
          }
          case 'pause': {
            await schedules.pause(id!, { by, ...(args.values.reason === undefined ? {} : { reason: String(args.values.reason) }) });
            io.stdout.write(`schedule ${id} paused; its slots are recorded missed (paused) until 'warden schedules resume ${id}'\n`);
            return 0;
          }
          case 'resume': {
            const s = await schedules.resume(id!, { by });
            io.stdout.write(`schedule ${id} resumed; next slot ${s.nextSlotAt === undefined ? '- (ended)' : time(s.nextSlotAt)}\n`);
            return 0;
          }
          case 'trigger': {
            const slot = await schedules.trigger(id!, { by });
            io.stdout.write(`slot ${time(slot.slotAt)} of ${id} requested (run ${slot.runId}); a scheduler defining "${id}" starts it at its next tick\n`);
            return 0;
          }
        }
      } catch (e) {
        if (isWardenError(e, 'SCHEDULE_NOT_FOUND')) throw new UsageError((e as Error).message);
        throw e;
      }
    });
  },
};

/** A slot's detail cell: the cause of a miss, the dead letter and error of a failure, else the run. */
function detailOf(x: SlotRecord): string {
  if (x.status === 'missed') return x.cause ?? '';
  if (x.status === 'failed')
    return `${x.deadLetterId === undefined ? '' : `dead letter ${x.deadLetterId}: `}${preview(x.error ?? '', 70).replace(/^"|"$/g, '')}`;
  return x.runId;
}

function timingText(t: Timing): string {
  switch (t.kind) {
    case 'cron':
      return `cron "${t.cron}" ${t.timeZone}`;
    case 'every':
      return `every ${durationText(t.everyMs)}`;
    case 'once':
      return `once at ${time(t.at)}`;
  }
}

function durationText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

function stateOf(s: ScheduleInfo): string {
  if (s.paused) return 'paused';
  return s.nextSlotAt === undefined ? 'ended' : 'active';
}

function rate(r: number | undefined): string {
  return r === undefined ? '-' : `${(r * 100).toFixed(1)}%`;
}

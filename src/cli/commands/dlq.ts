/**
 * `warden dlq list|show|replay|discard`: the dead-letter queue. `replay` marks a letter for
 * replay (optionally with edited input); a host serving the letter's run definition starts the
 * replay run on its next poll. `discard` takes effect at once.
 */
import { DEAD_LETTER_STATUSES, type DeadLetterStatus, type Json } from '../../store/index.ts';
import { DeadLetterQueue, toJournalJson } from '../../durable/index.ts';
import { UsageError, integerOption, choice, idUnlessList, jsonOption, onlyFor, stringOptions, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { LIST_JSON_HELP, LIST_JSON_OPTIONS, listFormat, preview, table, time, writeJsonList } from '../table.ts';

const SUBS = ['list', 'show', 'replay', 'discard'] as const;

export const dlqCommand: Command = {
  name: 'dlq',
  help: `Usage: warden dlq list [--status S] [--source NAME] [--limit N] [--json | --jsonl]
       warden dlq show <id> [--json]
       warden dlq replay <id> [--input JSON]
       warden dlq discard <id> [--by WHO] [--reason TEXT]

Work that exhausted its retries (a failed durable run, or anything added with
deadLetters.add), with its input, error, attempt history and trace id. 'replay' marks
the letter for replay, with the same input or the --input given; a host serving the
letter's run definition starts it as a new run (id replay-<letter id>) on its next poll.
A letter is replayed at most once. 'discard' keeps the letter, marked discarded, and
records who and why.

Options:
${DB_HELP}
  --status <s>     list: only letters in this status (${DEAD_LETTER_STATUSES.join(', ')}; default pending)
  --source <name>  list: only letters from this source (a run definition's name)
  --limit <n>      list: at most this many (default 50)
  --input <json>   replay: replace the input (JSON)
  --by <who>       discard: who (default 'cli')
  --reason <text>  discard: why
${LIST_JSON_HELP}
  -h, --help       show this help

Examples:
  warden dlq list
  warden dlq show 5d1c...
  warden dlq replay 5d1c... --input '{"to":"ops@example.com"}'
  warden dlq discard 5d1c... --by alice --reason "duplicate order"
`,
  options: { ...DB_OPTION, ...stringOptions('status', 'source', 'limit', 'input', 'by', 'reason'), ...LIST_JSON_OPTIONS },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, SUBS);
    onlyFor(args, sub, {
      status: ['list'],
      source: ['list'],
      limit: ['list'],
      input: ['replay'],
      by: ['discard'],
      reason: ['discard'],
      json: ['list', 'show'],
      jsonl: ['list'],
    });
    const format = listFormat(args);
    const status = choice<DeadLetterStatus>(args, 'status', DEAD_LETTER_STATUSES) ?? 'pending';
    const limit = integerOption(args, 'limit', 50, 1);
    const input = jsonOption(args, 'input');
    if (input !== undefined) {
      const checked = toJournalJson(input);
      if ('problem' in checked) throw new UsageError(`--input ${checked.problem.path} ${checked.problem.why}`);
    }
    const id = idUnlessList(sub, rest, 'dead letter id');
    return withStore(
      'dlq',
      args,
      io,
      async (store) => {
        const dlq = new DeadLetterQueue(store);
        switch (sub) {
          case 'list': {
            const letters = await dlq.list({ status, limit, ...(args.values.source === undefined ? {} : { source: String(args.values.source) }) });
            if (writeJsonList(io, format, letters)) return 0;
            if (letters.length === 0) io.stdout.write(`no ${status} dead letters\n`);
            else
              io.stdout.write(
                table(
                  ['ID', 'SOURCE', 'CREATED', 'ATTEMPTS', 'ERROR'],
                  letters.map((l) => [l.id, l.source, time(l.createdAt), String(l.attempts.length), l.error.message.slice(0, 70)]),
                ),
              );
            return 0;
          }
          case 'show': {
            const letter = await dlq.get(id!);
            if (letter === undefined) throw new UsageError(`no dead letter ${id}`);
            if (args.values.json === true) {
              io.stdout.write(`${JSON.stringify(letter)}\n`);
              return 0;
            }
            io.stdout.write(
              [
                `dead letter ${letter.id}`,
                `source    ${letter.source}${letter.runId === undefined ? '' : ` (run ${letter.runId})`}`,
                `status    ${letter.status}${letter.replayedAs === undefined ? '' : ` as run ${letter.replayedAs}`}`,
                `trace     ${letter.traceId}`,
                `created   ${time(letter.createdAt)}`,
                `input     ${JSON.stringify(letter.input)}`,
                ...(letter.replayInput === undefined ? [] : [`replay    ${JSON.stringify(letter.replayInput)}`]),
                `error     ${letter.error.name}${letter.error.code === undefined ? '' : ` [${letter.error.code}]`}: ${letter.error.message}`,
                `attempts  ${letter.attempts.length}`,
                ...letter.attempts.map((a) => `  #${a.attempt} ${time(a.at)} ${a.error.name}: ${a.error.message}`),
              ].join('\n') + '\n',
            );
            return 0;
          }
          case 'replay': {
            const letter = await dlq.requestReplay(id!, input as Json | undefined);
            io.stdout.write(
              `replay of ${letter.id} requested${input === undefined ? '' : ` with input ${preview(input, 80)}`}; a host serving "${letter.source}" will start it\n`,
            );
            return 0;
          }
          case 'discard': {
            await dlq.discard(id!, {
              by: args.values.by === undefined ? 'cli' : String(args.values.by),
              ...(args.values.reason === undefined ? {} : { reason: String(args.values.reason) }),
            });
            io.stdout.write(`dead letter ${id} discarded\n`);
            return 0;
          }
        }
      },
      { readOnly: sub === 'list' || sub === 'show' },
    );
  },
};

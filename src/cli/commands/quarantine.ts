/**
 * `warden quarantine list|release`: inputs set aside by a store-backed Quarantine after
 * crashing their handler too often. Releasing one lets it run again.
 */
import { realClock } from '../../runtime/index.ts';
import type { QuarantineRecord } from '../../resilience/index.ts';
import { UsageError, idUnlessList, onlyFor, subcommand, type Command } from '../command.ts';
import { DB_HELP, DB_OPTION, withStore } from '../store-options.ts';
import { LIST_JSON_HELP, LIST_JSON_OPTIONS, listFormat, table, time, writeJsonList } from '../table.ts';

const SUBS = ['list', 'release'] as const;

export const quarantineCommand: Command = {
  name: 'quarantine',
  help: `Usage: warden quarantine list [--namespace NAME] [--all] [--json | --jsonl]
       warden quarantine release <key> [--namespace NAME]

Inputs that crashed their handler too many times, as recorded by a Quarantine using a
StoreQuarantineStore (its namespace is the quarantine's name). 'release' forgets the
input's crashes so it runs again. A key may be shortened to a unique prefix of at
least 8 characters.

Options:
${DB_HELP}
  --namespace <n>  only this quarantine (default: all for list; required for release
                   when the key is in more than one)
  --all            list: include inputs that crashed but are not yet quarantined
${LIST_JSON_HELP}
  -h, --help       show this help

Examples:
  warden quarantine list
  warden quarantine release 3fa9c2d1 --namespace inbox
`,
  options: { ...DB_OPTION, namespace: { type: 'string' }, all: { type: 'boolean' }, ...LIST_JSON_OPTIONS },
  positionals: true,
  async run(args, io) {
    const { sub, rest } = subcommand(args, SUBS);
    onlyFor(args, sub, { all: ['list'], json: ['list'], jsonl: ['list'] });
    const format = listFormat(args);
    const key = idUnlessList(sub, rest, 'key');
    if (key !== undefined && key.length < 8) throw new UsageError(`the key must have at least 8 characters (got "${key}")`);
    const namespace = args.values.namespace === undefined ? undefined : String(args.values.namespace);
    return withStore(
      'quarantine',
      args,
      io,
      async (store) => {
        const all = await store.listQuarantine(namespace);
        if (sub === 'list') {
          const shown = all.filter((r) => args.values.all === true || (r.record as unknown as QuarantineRecord).quarantinedAt !== undefined);
          if (writeJsonList(io, format, shown)) return 0;
          if (shown.length === 0) io.stdout.write('nothing is quarantined\n');
          else
            io.stdout.write(
              table(
                ['NAMESPACE', 'KEY', 'CRASHES', 'QUARANTINED', 'LAST ERROR', 'INPUT'],
                shown.map((r) => {
                  const q = r.record as unknown as QuarantineRecord;
                  return [
                    r.namespace,
                    q.key.slice(0, 16),
                    String(q.crashes),
                    time(q.quarantinedAt),
                    `${q.lastError.name}: ${q.lastError.message}`.slice(0, 50),
                    q.preview.slice(0, 40),
                  ];
                }),
              ),
            );
          return 0;
        }
        const matches = all.filter((r) => r.key.startsWith(key!));
        if (matches.length === 0) throw new UsageError(`nothing is recorded under key ${key}${namespace === undefined ? '' : ` in ${namespace}`}`);
        if (matches.length > 1)
          throw new UsageError(
            `key ${key} is ambiguous: ${matches.map((m) => `${m.namespace}/${m.key.slice(0, 16)}`).join(', ')}; give more of it or --namespace`,
          );
        const m = matches[0]!;
        await store.deleteQuarantine(m.namespace, m.key);
        await store.appendAudit({ at: realClock.now(), actor: 'cli', action: 'quarantine.released', subject: `quarantine:${m.namespace}/${m.key}` });
        io.stdout.write(`released ${m.key} from ${m.namespace}\n`);
        return 0;
      },
      { readOnly: sub === 'list' },
    );
  },
};

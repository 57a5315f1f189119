/**
 * How the CLI prints what it lists: plain-text tables (left-aligned columns; times in UTC,
 * values as short JSON previews), or, with `--json` / `--jsonl`, JSON for other tools.
 */
import { UsageError, type CliIO, type ParsedArgs } from './command.ts';

/** Left-aligned columns. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

/** A clock time as a table cell: `2026-01-01 00:00:00Z`, or `-`. */
export function time(ms: number | undefined): string {
  return ms === undefined
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** A value as a table cell: its JSON, cut at `max` characters (`…`), or `-`. */
export function preview(value: unknown, max = 60): string {
  const text = value === undefined ? '-' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const LIST_JSON_OPTIONS = { json: { type: 'boolean' }, jsonl: { type: 'boolean' } } as const;

export const LIST_JSON_HELP = `  --json           print JSON instead of a table (a list: one JSON array)
  --jsonl          list: one JSON object per line (JSON Lines), for streaming tools`;

/** How a `list` prints: a table, one JSON array (`--json`), or one object per line (`--jsonl`). */
export function listFormat(args: ParsedArgs): 'table' | 'json' | 'jsonl' {
  if (args.values.json === true && args.values.jsonl === true) throw new UsageError('give --json or --jsonl, not both');
  return args.values.json === true ? 'json' : args.values.jsonl === true ? 'jsonl' : 'table';
}

/** Print `items` as `format` says; false for a table, which the caller prints. */
export function writeJsonList(io: CliIO, format: 'table' | 'json' | 'jsonl', items: readonly unknown[]): boolean {
  if (format === 'json') io.stdout.write(`${JSON.stringify(items)}\n`);
  else if (format === 'jsonl') io.stdout.write(items.map((x) => `${JSON.stringify(x)}\n`).join(''));
  return format !== 'table';
}

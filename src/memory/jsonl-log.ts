/**
 * The memory file's lines: reading them back, with every fault named by its line number.
 *
 * The file is the reference server's JSONL (one `entity` or `relation` object per line) followed
 * by an append-only log of changes: `entity` and `relation` lines create, and `warden.*` lines
 * record the rest (observations added or deleted, an entity or a relation deleted). A write of
 * more than one line is framed by a `{"type":"warden.group","lines":K,"bytes":B}` header (its K
 * lines take B bytes, newlines included), so a write cut short is recognised and dropped whole:
 * a write is applied all or nothing. Compaction rewrites the file as plain reference lines, and
 * `warden memory export` writes only those.
 *
 * A header that does not fit what follows it is set aside alone, and the lines after it are read
 * on their own: only a write that really was cut short is dropped. A write cut short is always
 * the last thing in the file (whoever takes the lock next cuts it off before appending), so a
 * header is not one when another header comes within its K lines, when its K lines are there
 * but do not take its B bytes, or (a header from before `bytes` was written) when the lines
 * after it to the end of the file are all whole records.
 *
 * Empty lines are skipped (the reference writes none, but tolerates them). A line that is not
 * JSON, not an object, of an unknown type or with a missing or mistyped field is rejected with
 * the reason. At the end of what was read, a last line without its newline that is not a whole
 * record, or a group with fewer lines than its header declares, is incomplete: a write still in
 * progress, or, when the reader holds the lock, one that was torn by a crash.
 */
import type { LogRecord } from './graph-model.ts';

export interface LogUnit {
  /** Line number of the unit's first line (1-based). */
  readonly line: number;
  readonly records: readonly LogRecord[];
}

export interface RejectedLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedLog {
  readonly units: readonly LogUnit[];
  readonly rejected: readonly RejectedLine[];
  /** Bytes of the buffer that were read as complete units, rejected lines or blank lines. */
  readonly consumedBytes: number;
  /** Lines begun in the consumed bytes. */
  readonly consumedLines: number;
  /** Whether the consumed bytes end inside a line (a last line with no newline that was complete). */
  readonly endsOpen: boolean;
  /** What follows the consumed bytes: an unfinished write (or a torn one, if nobody else is writing). */
  readonly incomplete?: { readonly line: number; readonly text: string; readonly reason: string };
}

const NEWLINE = 0x0a;

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isString);
}

type Decoded = { readonly record: LogRecord } | { readonly group: number; readonly bytes: number | undefined } | { readonly reason: string };

function fieldProblem(type: string, o: Record<string, unknown>, fields: Record<string, 'string' | 'strings'>): string | undefined {
  for (const [k, kind] of Object.entries(fields)) {
    const ok = kind === 'string' ? isString(o[k]) : isStrings(o[k]);
    if (!ok) return `a "${type}" record needs "${k}" as ${kind === 'string' ? 'a string' : 'an array of strings'}`;
  }
  return undefined;
}

/** One line as a record, a group header, or the reason it is neither. */
export function decodeLine(text: string): Decoded {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return { reason: `not valid JSON (${(e as Error).message})` };
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return { reason: 'not a JSON object' };
  const o = j as Record<string, unknown>;
  const type = o.type;
  const check = (fields: Record<string, 'string' | 'strings'>, make: () => LogRecord): Decoded => {
    const problem = fieldProblem(String(type), o, fields);
    return problem === undefined ? { record: make() } : { reason: problem };
  };
  switch (type) {
    case 'entity':
      return check({ name: 'string', entityType: 'string', observations: 'strings' }, () => ({
        type: 'entity',
        name: o.name as string,
        entityType: o.entityType as string,
        observations: o.observations as string[],
      }));
    case 'relation':
      return check({ from: 'string', to: 'string', relationType: 'string' }, () => ({
        type: 'relation',
        from: o.from as string,
        to: o.to as string,
        relationType: o.relationType as string,
      }));
    case 'warden.observations_added':
      return check({ entityName: 'string', contents: 'strings' }, () => ({
        type,
        entityName: o.entityName as string,
        contents: o.contents as string[],
      }));
    case 'warden.observations_deleted':
      return check({ entityName: 'string', observations: 'strings' }, () => ({
        type,
        entityName: o.entityName as string,
        observations: o.observations as string[],
      }));
    case 'warden.entity_deleted':
      return check({ name: 'string' }, () => ({ type, name: o.name as string }));
    case 'warden.relation_deleted':
      return check({ from: 'string', to: 'string', relationType: 'string' }, () => ({
        type,
        from: o.from as string,
        to: o.to as string,
        relationType: o.relationType as string,
      }));
    case 'warden.group': {
      if (!Number.isSafeInteger(o.lines) || (o.lines as number) < 2) return { reason: 'a "warden.group" header needs "lines" as an integer >= 2' };
      const lines = o.lines as number;
      if (o.bytes === undefined) return { group: lines, bytes: undefined };
      if (!Number.isSafeInteger(o.bytes) || (o.bytes as number) < 2 * lines)
        return { reason: 'a "warden.group" header needs "bytes" (when given) as an integer of at least twice "lines"' };
      return { group: lines, bytes: o.bytes as number };
    }
    default:
      return { reason: type === undefined ? 'has no "type"' : `unknown record type ${JSON.stringify(type)}` };
  }
}

/** The line for a record, in the reference's key order for entities and relations. */
export function encodeRecord(r: LogRecord): string {
  return JSON.stringify(r);
}

/** The header of a write of `lines` lines taking `bytes` bytes (newlines included); `bytes` is left out only by older writers. */
export function groupHeader(lines: number, bytes?: number): string {
  return JSON.stringify(bytes === undefined ? { type: 'warden.group', lines } : { type: 'warden.group', lines, bytes });
}

/** The lines of one write: its records, after a group header when there are several. */
export function encodeWrite(records: readonly LogRecord[]): string[] {
  const lines = records.map(encodeRecord);
  if (lines.length < 2) return lines;
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8') + 1, 0);
  return [groupHeader(lines.length, bytes), ...lines];
}

interface Segment {
  readonly start: number;
  /** End of the text (before the newline). */
  readonly end: number;
  readonly terminated: boolean;
}

/**
 * Read `buf` (the file from some offset on) into units. `firstLine` is the number the buffer's
 * first new line gets; `continuesOpenLine` says the bytes before ended inside a line that was
 * already read (its newline is normally the buffer's first byte).
 */
export function parseLog(buf: Buffer, firstLine: number, continuesOpenLine: boolean): ParsedLog {
  const segments: Segment[] = [];
  for (let start = 0; start < buf.length; ) {
    const nl = buf.indexOf(NEWLINE, start);
    if (nl === -1) {
      segments.push({ start, end: buf.length, terminated: false });
      break;
    }
    segments.push({ start, end: nl, terminated: true });
    start = nl + 1;
  }
  const units: LogUnit[] = [];
  const rejected: RejectedLine[] = [];
  let consumedBytes = 0;
  let line = firstLine - 1;
  let consumedLines = 0;
  let endsOpen = continuesOpenLine;
  const text = (s: Segment): string => buf.toString('utf8', s.start, s.end);
  const isBlank = (s: Segment): boolean => text(s).trim() === '';
  const consume = (s: Segment, counted: boolean): void => {
    consumedBytes = s.terminated ? s.end + 1 : s.end;
    if (counted) consumedLines++;
    endsOpen = !s.terminated;
  };

  let i = 0;
  if (continuesOpenLine && segments.length > 0) {
    // The rest of a line already read: normally just its newline.
    const s = segments[0]!;
    if (isBlank(s)) {
      consume(s, false);
      i = 1;
    }
    // Otherwise something was appended to a line without a newline: it is read as a line of its own.
  }
  for (; i < segments.length; i++) {
    const s = segments[i]!;
    line++;
    if (isBlank(s)) {
      if (s.terminated) consume(s, true);
      continue;
    }
    const decoded = decodeLine(text(s));
    if ('group' in decoded) {
      if (!s.terminated) return finish({ line, text: text(s), reason: 'a write cut short (its header has no newline)' });
      const members = segments.slice(i + 1, i + 1 + decoded.group);
      const frame = frameOf(s, decoded.group, decoded.bytes, members);
      if (frame !== 'whole') {
        if (frame === 'cut short') {
          const last = members.length === 0 ? s : members[members.length - 1]!;
          return finish({
            line,
            text: buf.toString('utf8', s.start, last.end),
            reason: `a write cut short (${members.filter((m) => m.terminated).length} of its ${decoded.group} lines)`,
          });
        }
        // Not the header of what follows: set it aside alone, and read the lines after it on their own.
        rejected.push({
          line,
          text: text(s),
          reason: `a "warden.group" header that does not fit the lines after it (${frame}); set aside alone, the lines after it are read on their own`,
        });
        consume(s, true);
        continue;
      }
      const records: LogRecord[] = [];
      let bad: { line: number; reason: string } | undefined;
      members.forEach((m, k) => {
        const d = decodeLine(text(m));
        if ('record' in d) records.push(d.record);
        else if (bad === undefined) bad = { line: line + 1 + k, reason: 'reason' in d ? d.reason : 'a group header inside a group' };
      });
      if (bad === undefined) {
        units.push({ line, records });
      } else {
        rejected.push({ line, text: text(s), reason: `header of a write whose line ${bad.line} is corrupt (${bad.reason}); the whole write is set aside` });
        for (const [k, m] of members.entries())
          rejected.push({ line: line + 1 + k, text: text(m), reason: `part of the write at line ${line}, whose line ${bad.line} is corrupt` });
      }
      consume(s, true);
      for (const m of members) consume(m, true);
      line += members.length;
      i += members.length;
      continue;
    }
    if ('record' in decoded) {
      units.push({ line, records: [decoded.record] });
      consume(s, true);
      continue;
    }
    if (!s.terminated) return finish({ line, text: text(s), reason: `a last line cut short (${decoded.reason})` });
    rejected.push({ line, text: text(s), reason: decoded.reason });
    consume(s, true);
  }
  return finish(undefined);

  /**
   * What the header `s` (declaring `count` lines and `bytes` bytes) frames: a whole write, one cut
   * short (at the end of what was read: being written, or torn by a crash), or nothing (why).
   */
  function frameOf(s: Segment, count: number, bytes: number | undefined, members: readonly Segment[]): 'whole' | 'cut short' | string {
    const inner = members.findIndex((m) => m.terminated && 'group' in decodeLine(text(m)));
    if (inner !== -1) return `another header comes ${inner + 1} lines after it, within its ${count}`;
    const whole = members.length === count && members.every((m) => m.terminated);
    const bodyStart = s.end + 1;
    if (bytes !== undefined) {
      if (whole) {
        const taken = members[count - 1]!.end + 1 - bodyStart;
        return taken === bytes ? 'whole' : `its ${count} lines take ${taken} bytes, not ${bytes}`;
      }
      return buf.length - bodyStart < bytes ? 'cut short' : `fewer than ${count} lines in its ${bytes} bytes`;
    }
    if (whole) return 'whole';
    // A header from before "bytes": cut short only if nothing follows it or its last line is visibly cut.
    const last = members[members.length - 1];
    if (last === undefined || (!last.terminated && !('record' in decodeLine(text(last))))) return 'cut short';
    return `${count} lines declared, and the ${members.length} whole records after it end the file`;
  }

  function finish(incomplete: ParsedLog['incomplete']): ParsedLog {
    return { units, rejected, consumedBytes, consumedLines, endsOpen, ...(incomplete === undefined ? {} : { incomplete }) };
  }
}

/**
 * Reading and writing columns, the same for both databases. Times are clock milliseconds in a
 * REAL / DOUBLE PRECISION column and counters are integers, which `pg` may hand back as strings
 * (BIGINT), so every number is read through `numberColumn`. JSON values live in TEXT columns:
 * written with `jsonText` (SQL NULL for `undefined`) and read with `jsonColumn`. SQL NULL reads
 * as `undefined`, so a record never carries a field that was not set. `rowReader` turns a
 * record kind's column list into its row-to-record function; a value a reader cannot take (JSON
 * cut short, a number that is not one: a row from another version) is refused with an
 * `UnreadableRowError` naming the table, the row and the column, never a bare SyntaxError.
 */
import { showValue } from '../runtime/index.ts';
import { UnreadableRowError } from './errors.ts';
import type { Json } from './types.ts';

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** What a column reader throws for a value it cannot take; `rowReader` names the row and column. */
export class ColumnValueError extends Error {}

export const textColumn = (v: unknown): string => String(v);
export const numberColumn = (v: unknown): number => {
  const n = typeof v === 'number' ? v : Number(v);
  if (Number.isNaN(n)) throw new ColumnValueError(`holds ${showValue(v)}, which is not a number`);
  return n;
};
export const optionalNumberColumn = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : numberColumn(v));
export const optionalTextColumn = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
export const jsonColumn = (v: unknown): Json => {
  try {
    return JSON.parse(String(v)) as Json;
  } catch (e) {
    throw new ColumnValueError(`holds ${showValue(String(v), 60)}, which is not JSON (${(e as Error).message})`);
  }
};
export const optionalJsonColumn = (v: unknown): Json | undefined => (v === null || v === undefined ? undefined : jsonColumn(v));
/** A value for a nullable JSON column. */
export const jsonText = (v: Json | undefined): string | null => (v === undefined ? null : JSON.stringify(v));

/** How a record field is read: from which column, by which reader. */
export type FieldColumns = Readonly<Record<string, readonly [column: string, read: (v: unknown) => unknown]>>;

/**
 * A function reading a record of kind `T` from a row: every `required` field from its column,
 * then each `optional` field whose column is not SQL NULL (left out otherwise), in that order.
 */
export function rowReader<T>(required: FieldColumns, optional: FieldColumns, name: RowName): (r: Row) => T {
  return (r) => {
    const out: Record<string, unknown> = {};
    for (const [field, [column, read]] of Object.entries(required)) out[field] = readColumn(name, r, column, read);
    for (const [field, [column, read]] of Object.entries(optional)) {
      const v = r[column];
      if (v !== null && v !== undefined) out[field] = readColumn(name, r, column, read);
    }
    return out as T;
  };
}

/** How a row is named in an `UnreadableRowError`: its table and its key (`run "r1", seq 2`). */
export interface RowName {
  readonly table: string;
  readonly key: (r: Row) => string;
}

/** `read(r[column])`, with a value it cannot take refused as an `UnreadableRowError` naming the row. */
export function readColumn<V>(name: RowName, r: Row, column: string, read: (v: unknown) => V): V {
  try {
    return read(r[column]);
  } catch (e) {
    if (!(e instanceof ColumnValueError)) throw e;
    throw new UnreadableRowError(name.table, name.key(r), column, e.message);
  }
}

/** The first row as a record, or `undefined` when there is none. */
export function firstRecord<T>(rows: readonly Row[], read: (r: Row) => T): T | undefined {
  return rows[0] === undefined ? undefined : read(rows[0]);
}

/** `n` comma-separated `?` placeholders, for `IN (...)` lists. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * A `WHERE` clause from optional equality filters (`{ status: 'x', name: undefined }` →
 * ` WHERE status = ?`), with its parameters; an empty string when nothing filters.
 */
export function whereEqual(columns: Readonly<Record<string, unknown>>): { readonly where: string; readonly params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of Object.entries(columns)) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

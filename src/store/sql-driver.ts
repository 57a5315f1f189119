/**
 * The tiny driver the SQL store runs on, one per database (sqlite.ts, postgres.ts), and the SQL
 * access a higher layer gets to keep its own tables in the store. The SQL above it is written
 * once, with `?` placeholders, in the subset both databases share (`ON CONFLICT`, `RETURNING`);
 * drivers differ only in how they run a transaction.
 */
import type { Dialect } from './migrations.ts';

/** One connection inside a transaction. */
export interface SqlConn {
  all<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Run a statement; resolves with the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  readonly location: string;
  /** The durability settings in force, as the database reports them. */
  durability(): Promise<string>;
  /** Run `fn` in one transaction, serialised with every other use of the driver that needs it. */
  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  /** Run one read outside an explicit transaction. */
  read<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Run one statement as its own transaction (autocommit), returning its rows (`RETURNING`). */
  write<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
  /** Postgres only: a connection of its own, outside the pool. */
  dedicated?(): Promise<DedicatedConn>;
}

/**
 * One connection of a layer's own, outside the store's pool (Postgres only): what `LISTEN` and
 * session-level advisory locks need, since both belong to a session, not to a transaction.
 */
export interface DedicatedConn {
  /** Run one statement (`?` placeholders) on this connection. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Called for every `NOTIFY` on a channel this connection listens to. */
  onNotification(listener: (channel: string, payload: string) => void): void;
  /** Called when the connection is lost or fails; it is closed and a new one must be opened. */
  onError(listener: (error: unknown) => void): void;
  close(): Promise<void>;
}

/**
 * SQL access for a layer that keeps its own tables in the store (added by a migration here, as
 * the memory graph's are). `transaction` is serialised with the store's own transactions exactly
 * as they are with each other, and the SQL must stay in the subset both dialects share.
 */
export interface SqlAccess {
  readonly dialect: Dialect;
  /** Where the data is (a file path, or a URL with any password hidden). */
  readonly location: string;
  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  read<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Postgres only (undefined on SQLite): open a {@link DedicatedConn} to the same database and schema. */
  readonly dedicated?: () => Promise<DedicatedConn>;
}

/**
 * The one SQL implementation of {@link Store}, over a tiny driver (SQLite or Postgres). The SQL
 * is written once, with `?` placeholders, in the subset both databases share (`ON CONFLICT`,
 * `RETURNING`); the drivers differ only in how they run a transaction and in Postgres taking a
 * row lock (`FOR SHARE`) on the run whose epoch a write checks, so a concurrent claim waits for
 * the write to commit and every later write sees the new epoch.
 *
 * Journal appends are group-committed: appends that arrive while a batch is being written wait
 * for the next one, and each batch is one transaction (one fsync), after which every caller in
 * it is answered. No caller is answered before its entry is durable. We wrote this by hand: it
 * is a queue and one transaction, and the queueing libraries do not know about our fence.
 */
import { FencedError } from '../runtime/index.ts';
import { JournalConflictError, SchemaTooNewError } from './errors.ts';
import { MIGRATIONS, SCHEMA_VERSION, type Dialect } from './migrations.ts';
import type {
  Approval,
  ApprovalStatus,
  AuditEntry,
  ClaimOptions,
  CompactOptions,
  DeadLetter,
  DeadLetterStatus,
  Decision,
  EffectRecord,
  JournalEntry,
  Json,
  KeyLease,
  NewRun,
  ProcessIdentity,
  RunFilter,
  RunRecord,
  RunRequest,
  RunUpdate,
  Store,
  StoreInfo,
  StoredError,
} from './types.ts';

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
}

/** The SQL access of a store opened by `openStore` (or either `open*Store`). */
export function sqlAccessOf(store: Store): SqlAccess {
  if (!(store instanceof SqlStore)) throw new TypeError('sqlAccessOf: not a store opened by openStore, openSqliteStore or openPostgresStore');
  return store.sqlAccess;
}

/** Most journal entries written in one group commit. */
const MAX_BATCH = 500;

type Row = Record<string, unknown>;

interface PendingAppend {
  readonly entry: JournalEntry;
  readonly epoch: number;
  readonly effectDone: string | undefined;
  readonly resolve: (e: JournalEntry) => void;
  readonly reject: (e: unknown) => void;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));
const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const parse = (v: unknown): Json => JSON.parse(String(v)) as Json;
const optParse = (v: unknown): Json | undefined => (v === null || v === undefined ? undefined : parse(v));
const text = (v: Json | undefined): string | null => (v === undefined ? null : JSON.stringify(v));

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function toRun(r: Row): RunRecord {
  const out: Record<string, unknown> = {
    id: String(r.id),
    name: String(r.name),
    status: String(r.status),
    input: parse(r.input),
    epoch: num(r.epoch),
    traceId: String(r.trace_id),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v;
  };
  set('output', optParse(r.output));
  set('error', optParse(r.error));
  set('suspendReason', optStr(r.suspend_reason));
  set('suspendDetail', optParse(r.suspend_detail));
  set('owner', optStr(r.owner));
  set('ownerProcess', toProcess(r));
  set('leaseExpiresAt', optNum(r.lease_expires_at));
  set('request', optStr(r.request));
  set('replayOf', optStr(r.replay_of));
  set('finishedAt', optNum(r.finished_at));
  set('archivedAt', optNum(r.archived_at));
  return out as unknown as RunRecord;
}

function toProcess(r: Row): ProcessIdentity | undefined {
  if (r.owner_pid === null || r.owner_pid === undefined || r.owner_pid_space === null || r.owner_pid_space === undefined) return undefined;
  const p: { host: string; pidSpace: string; pid: number; startTime?: string } = {
    host: String(r.owner_host ?? ''),
    pidSpace: String(r.owner_pid_space),
    pid: num(r.owner_pid),
  };
  if (r.owner_start !== null && r.owner_start !== undefined) p.startTime = String(r.owner_start);
  return p;
}

/** Columns that release a run's owner (with `owner = NULL`). */
const NO_OWNER_PROCESS = 'owner_host = NULL, owner_pid_space = NULL, owner_pid = NULL, owner_start = NULL';

function toEntry(r: Row): JournalEntry {
  const e: Record<string, unknown> = {
    runId: String(r.run_id),
    seq: num(r.seq),
    name: String(r.name),
    kind: String(r.kind),
    outcome: String(r.outcome),
    at: num(r.at),
  };
  if (r.value !== null && r.value !== undefined) e.valueJson = String(r.value);
  if (r.error !== null && r.error !== undefined) e.error = parse(r.error);
  return e as unknown as JournalEntry;
}

function toEffect(r: Row): EffectRecord {
  const e: Record<string, unknown> = {
    key: String(r.key),
    runId: String(r.run_id),
    seq: num(r.seq),
    name: String(r.name),
    status: String(r.status),
    intentAt: num(r.intent_at),
  };
  if (r.input !== null && r.input !== undefined) e.input = parse(r.input);
  if (r.done_at !== null && r.done_at !== undefined) e.doneAt = num(r.done_at);
  return e as unknown as EffectRecord;
}

function toDeadLetter(r: Row): DeadLetter {
  const d: Record<string, unknown> = {
    id: String(r.id),
    source: String(r.source),
    input: parse(r.input),
    error: parse(r.error),
    attempts: parse(r.attempts),
    traceId: String(r.trace_id),
    status: String(r.status),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
  if (r.run_id !== null && r.run_id !== undefined) d.runId = String(r.run_id);
  if (r.replay_input !== null && r.replay_input !== undefined) d.replayInput = parse(r.replay_input);
  if (r.replayed_as !== null && r.replayed_as !== undefined) d.replayedAs = String(r.replayed_as);
  return d as unknown as DeadLetter;
}

function toApproval(r: Row): Approval {
  const a: Record<string, unknown> = {
    id: String(r.id),
    runId: String(r.run_id),
    seq: num(r.seq),
    action: String(r.action),
    kind: String(r.kind),
    reason: String(r.reason),
    details: parse(r.details),
    status: String(r.status),
    requestedAt: num(r.requested_at),
  };
  if (r.decided_at !== null && r.decided_at !== undefined) a.decidedAt = num(r.decided_at);
  if (r.decided_by !== null && r.decided_by !== undefined) a.decidedBy = String(r.decided_by);
  if (r.decision_reason !== null && r.decision_reason !== undefined) a.decisionReason = String(r.decision_reason);
  return a as unknown as Approval;
}

function toAudit(r: Row): AuditEntry {
  const a: Record<string, unknown> = {
    id: num(r.id),
    at: num(r.at),
    actor: String(r.actor),
    action: String(r.action),
    subject: String(r.subject),
  };
  if (r.reason !== null && r.reason !== undefined) a.reason = String(r.reason);
  if (r.details !== null && r.details !== undefined) a.details = parse(r.details);
  return a as unknown as AuditEntry;
}

/** Apply pending migrations (refusing a newer schema); returns the version now in place. */
export async function migrate(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (c) => {
    if (driver.dialect === 'postgres') await c.all("SELECT pg_advisory_xact_lock(hashtext('warden_migrations'))");
    await c.run('CREATE TABLE IF NOT EXISTS warden_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const rows = await c.all<{ value: string }>("SELECT value FROM warden_meta WHERE key = 'schema_version'");
    const found = rows[0] === undefined ? 0 : Number(rows[0].value);
    if (!Number.isInteger(found) || found < 0) {
      throw new SchemaTooNewError(driver.location, Number.NaN, SCHEMA_VERSION);
    }
    if (found > SCHEMA_VERSION) throw new SchemaTooNewError(driver.location, found, SCHEMA_VERSION);
    for (const m of MIGRATIONS) {
      if (m.version <= found) continue;
      for (const statement of m.sql(driver.dialect)) await c.run(statement);
    }
    if (found !== SCHEMA_VERSION) {
      await c.run(
        "INSERT INTO warden_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(SCHEMA_VERSION)],
      );
    }
    return SCHEMA_VERSION;
  });
}

export class SqlStore implements Store {
  readonly info: StoreInfo;
  private readonly driver: SqlDriver;
  private readonly lockRun: string;
  private pending: PendingAppend[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;

  /** See {@link sqlAccessOf}. */
  readonly sqlAccess: SqlAccess;

  constructor(driver: SqlDriver, schemaVersion: number, durability: string) {
    this.driver = driver;
    this.info = Object.freeze({ kind: driver.dialect, location: driver.location, schemaVersion, durability });
    this.sqlAccess = Object.freeze({
      dialect: driver.dialect,
      location: driver.location,
      transaction: <T>(fn: (conn: SqlConn) => Promise<T>) => {
        if (this.closed) return Promise.reject(new Error(`${this.info.location}: store is closed`));
        return driver.transaction(fn);
      },
      read: <R>(sql: string, params?: readonly unknown[]) => driver.read<R>(sql, params),
    });
    this.lockRun = driver.dialect === 'postgres' ? ' FOR SHARE' : '';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.pending.length > 0 || this.flushing || this.scheduled) await this.flushNow();
    await this.driver.close();
  }

  // ---- fencing

  private async checkEpoch(c: SqlConn, runId: string, epoch: number, operation: string): Promise<void> {
    const rows = await c.all<{ epoch: unknown }>(`SELECT epoch FROM warden_runs WHERE id = ?${this.lockRun}`, [runId]);
    const current = rows[0] === undefined ? undefined : num(rows[0].epoch);
    if (current !== epoch) throw new FencedError(`run ${runId}`, epoch, operation);
  }

  // ---- runs

  async createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.driver.transaction(async (c) => {
      const inserted = await c.all(
        `INSERT INTO warden_runs (id, name, status, input, epoch, trace_id, replay_of, created_at, updated_at)
         VALUES (?, ?, 'running', ?, 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [run.id, run.name, JSON.stringify(run.input), run.traceId, run.replayOf ?? null, run.at, run.at],
      );
      if (inserted[0] !== undefined) return { run: toRun(inserted[0]), created: true };
      const existing = await c.all('SELECT * FROM warden_runs WHERE id = ?', [run.id]);
      return { run: toRun(existing[0]!), created: false };
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.driver.read('SELECT * FROM warden_runs WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  }

  async listRuns(filter: RunFilter = {}): Promise<readonly RunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    params.push(filter.limit ?? 1000);
    const rows = await this.driver.read(
      `SELECT * FROM warden_runs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`,
      params,
    );
    return rows.map(toRun);
  }

  async claimRun(id: string, options: ClaimOptions): Promise<RunRecord | undefined> {
    const conditional = options.onlyIf !== undefined;
    const now = options.onlyIf?.now ?? 0;
    const me = options.onlyIf?.owner ?? '';
    const atEpoch = options.onlyIf?.epoch ?? -1;
    const p = options.ownerProcess;
    const rows = await this.driver.transaction((c) =>
      c.all(
        `UPDATE warden_runs
            SET epoch = epoch + 1, owner = ?, owner_host = ?, owner_pid_space = ?, owner_pid = ?, owner_start = ?,
                lease_expires_at = ?, status = 'running', request = NULL,
                suspend_reason = NULL, suspend_detail = NULL, error = NULL, finished_at = NULL, updated_at = ?
          WHERE id = ? AND status NOT IN ('completed', 'cancelled') AND archived_at IS NULL
            AND (? = 0
                 OR (status = 'running' AND (owner IS NULL OR owner = ? OR lease_expires_at <= ? OR epoch = ?))
                 OR (request = 'resume' AND status IN ('suspended', 'failed')))
          RETURNING *`,
        [options.owner, p?.host ?? null, p?.pidSpace ?? null, p?.pid ?? null, p?.startTime ?? null, options.leaseExpiresAt, options.at, id, conditional ? 1 : 0, me, now, atEpoch],
      ),
    );
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  }

  async renewLeases(owner: string, runs: readonly { id: string; epoch: number }[], leaseExpiresAt: number): Promise<number> {
    if (runs.length === 0) return 0;
    return this.driver.transaction(async (c) => {
      let n = 0;
      for (const r of runs) {
        n += await c.run("UPDATE warden_runs SET lease_expires_at = ? WHERE id = ? AND epoch = ? AND owner = ? AND status = 'running'", [
          leaseExpiresAt,
          r.id,
          r.epoch,
          owner,
        ]);
      }
      return n;
    });
  }

  async finishRun(id: string, epoch: number, update: RunUpdate, at: number): Promise<void> {
    await this.driver.transaction(async (c) => {
      await this.checkEpoch(c, id, epoch, `record run ${update.status}`);
      switch (update.status) {
        case 'completed':
          await c.run(
            `UPDATE warden_runs SET status = 'completed', output = ?, owner = NULL, ${NO_OWNER_PROCESS}, lease_expires_at = NULL, request = NULL, finished_at = ?, updated_at = ? WHERE id = ?`,
            [text(update.output), at, at, id],
          );
          return;
        case 'failed':
        case 'cancelled':
          await c.run(
            `UPDATE warden_runs SET status = ?, error = ?, owner = NULL, ${NO_OWNER_PROCESS}, lease_expires_at = NULL, request = NULL, finished_at = ?, updated_at = ? WHERE id = ?`,
            [update.status, update.error === undefined ? null : JSON.stringify(update.error), at, at, id],
          );
          return;
        case 'suspended':
          await c.run(
            `UPDATE warden_runs SET status = 'suspended', suspend_reason = ?, suspend_detail = ?, owner = NULL, ${NO_OWNER_PROCESS}, lease_expires_at = NULL, updated_at = ? WHERE id = ?`,
            [update.reason, JSON.stringify(update.detail), at, id],
          );
          return;
        default:
          return assertNever(update);
      }
    });
  }

  async requestRun(id: string, request: RunRequest | undefined, at: number): Promise<boolean> {
    const n = await this.driver.transaction((c) =>
      c.run('UPDATE warden_runs SET request = ?, updated_at = ? WHERE id = ?', [request ?? null, at, id]),
    );
    return n > 0;
  }

  async cancelIdleRun(id: string, error: StoredError, now: number): Promise<RunRecord | undefined> {
    const rows = await this.driver.transaction((c) =>
      c.all(
        `UPDATE warden_runs
            SET status = 'cancelled', error = ?, epoch = epoch + 1, owner = NULL, ${NO_OWNER_PROCESS}, lease_expires_at = NULL, request = NULL,
                finished_at = ?, updated_at = ?
          WHERE id = ? AND (status IN ('suspended', 'failed')
                            OR (status = 'running' AND (owner IS NULL OR lease_expires_at <= ?)))
          RETURNING *`,
        [JSON.stringify(error), now, now, id, now],
      ),
    );
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  }

  async listRecoverable(owner: string, now: number, pidSpace?: string): Promise<readonly RunRecord[]> {
    const rows = await this.driver.read(
      `SELECT * FROM warden_runs
        WHERE archived_at IS NULL AND
              ((status = 'running' AND (owner IS NULL OR owner = ? OR lease_expires_at <= ? OR owner_pid_space = ?))
               OR (request = 'resume' AND status IN ('suspended', 'failed')))
        ORDER BY created_at, id`,
      [owner, now, pidSpace ?? null],
    );
    return rows.map(toRun);
  }

  async compactRuns(options: CompactOptions): Promise<number> {
    if (options.statuses.length === 0) return 0;
    return this.driver.transaction(async (c) => {
      const ids = (
        await c.all<{ id: string }>(
          `SELECT id FROM warden_runs WHERE status IN (${placeholders(options.statuses.length)}) AND finished_at <= ? AND archived_at IS NULL`,
          [...options.statuses, options.finishedBefore],
        )
      ).map((r) => String(r.id));
      for (const id of ids) {
        if (options.mode === 'archive') {
          const entries = (await c.all('SELECT * FROM warden_journal WHERE run_id = ? ORDER BY seq', [id])).map(toEntry);
          await c.run('UPDATE warden_runs SET archive = ?, archived_at = ?, updated_at = ? WHERE id = ?', [
            JSON.stringify(entries),
            options.at,
            options.at,
            id,
          ]);
        } else {
          await c.run('DELETE FROM warden_runs WHERE id = ?', [id]);
        }
        await c.run('DELETE FROM warden_journal WHERE run_id = ?', [id]);
        await c.run('DELETE FROM warden_effects WHERE run_id = ?', [id]);
      }
      return ids.length;
    });
  }

  async getArchive(id: string): Promise<readonly JournalEntry[] | undefined> {
    const rows = await this.driver.read<{ archive: unknown }>('SELECT archive FROM warden_runs WHERE id = ?', [id]);
    const a = rows[0]?.archive;
    return a === null || a === undefined ? undefined : (JSON.parse(String(a)) as JournalEntry[]);
  }

  // ---- journal (group commit)

  appendJournal(entry: JournalEntry, epoch: number, effectDone?: string): Promise<JournalEntry> {
    if (this.closed) return Promise.reject(new Error(`${this.info.location}: store is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, epoch, effectDone, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Wait until everything queued so far is written. */
  private async flushNow(): Promise<void> {
    if (this.flushing || this.scheduled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    if (this.pending.length > 0) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending.splice(0, MAX_BATCH);
    try {
      const outcomes = batch.some((p) => p.effectDone !== undefined)
        ? await this.driver.transaction((c) => this.writeBatch(c, batch))
        : await this.writeSteps(batch);
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o instanceof Error) p.reject(o);
        else p.resolve(o);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async writeBatch(c: SqlConn, batch: readonly PendingAppend[]): Promise<(JournalEntry | Error)[]> {
    const runIds = [...new Set(batch.map((p) => p.entry.runId))];
    const epochs = new Map<string, number>();
    const rows = await c.all<{ id: string; epoch: unknown }>(
      `SELECT id, epoch FROM warden_runs WHERE id IN (${placeholders(runIds.length)})${this.lockRun}`,
      runIds,
    );
    for (const r of rows) epochs.set(String(r.id), num(r.epoch));
    const outcomes: (JournalEntry | Error | undefined)[] = batch.map(() => undefined);
    const toInsert: number[] = [];
    const seen = new Set<string>();
    batch.forEach((p, i) => {
      const e = p.entry;
      if (epochs.get(e.runId) !== p.epoch) {
        outcomes[i] = new FencedError(`run ${e.runId}`, p.epoch, `append journal entry ${e.seq} "${e.name}"`);
        return;
      }
      const k = `${e.runId}\u0000${e.seq}`;
      if (seen.has(k)) return; // a repeat within the batch: answered below from the stored row
      seen.add(k);
      toInsert.push(i);
    });
    const inserted = new Set<string>();
    const insertedAt = new Set(toInsert);
    if (toInsert.length > 0) {
      const params: unknown[] = [];
      for (const i of toInsert) {
        const e = batch[i]!.entry;
        params.push(e.runId, e.seq, e.name, e.kind, e.outcome, e.valueJson ?? null, e.error === undefined ? null : JSON.stringify(e.error), e.at);
      }
      const ret = await c.all<{ run_id: string; seq: unknown }>(
        `INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at) VALUES ${toInsert
          .map(() => '(?, ?, ?, ?, ?, ?, ?, ?)')
          .join(', ')} ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`,
        params,
      );
      for (const r of ret) inserted.add(`${String(r.run_id)}\u0000${num(r.seq)}`);
      const done = toInsert.map((i) => batch[i]!).filter((p) => p.effectDone !== undefined && inserted.has(`${p.entry.runId}\u0000${p.entry.seq}`));
      if (done.length > 0) {
        await c.run(`UPDATE warden_effects SET status = 'done', done_at = ? WHERE key IN (${placeholders(done.length)})`, [
          done[0]!.entry.at,
          ...done.map((p) => p.effectDone),
        ]);
      }
    }
    for (let i = 0; i < batch.length; i++) {
      if (outcomes[i] !== undefined) continue;
      const p = batch[i]!;
      const e = p.entry;
      if (inserted.has(`${e.runId}\u0000${e.seq}`) && insertedAt.has(i)) {
        outcomes[i] = e;
        continue;
      }
      const existing = await c.all('SELECT * FROM warden_journal WHERE run_id = ? AND seq = ?', [e.runId, e.seq]);
      const stored = existing[0] === undefined ? undefined : toEntry(existing[0]);
      if (stored === undefined) outcomes[i] = new Error(`journal entry ${e.seq} of run ${e.runId} was not written`);
      else if (stored.name !== e.name || stored.kind !== e.kind) outcomes[i] = new JournalConflictError(e.runId, e.seq, stored.name, e.name);
      else outcomes[i] = stored;
    }
    return outcomes as (JournalEntry | Error)[];
  }

  /**
   * The common case, a batch of step entries with no effect to mark done: one statement, its own
   * transaction (one round trip, one fsync), inserting only the entries whose run is still at
   * their epoch (Postgres locks those run rows `FOR SHARE` in the same statement). An entry it
   * did not insert is then classified: already there (an idempotent repeat, or a conflict), or
   * refused by the fence.
   */
  private async writeSteps(batch: readonly PendingAppend[]): Promise<(JournalEntry | Error)[]> {
    const pg = this.driver.dialect === 'postgres';
    const row = pg ? '(?::text, ?::integer, ?::text, ?::text, ?::text, ?::text, ?::text, ?::double precision, ?::bigint)' : '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
    const params: unknown[] = [];
    for (const p of batch) {
      const e = p.entry;
      params.push(e.runId, e.seq, e.name, e.kind, e.outcome, e.valueJson ?? null, e.error === undefined ? null : JSON.stringify(e.error), e.at, p.epoch);
    }
    const values = `WITH v (run_id, seq, name, kind, outcome, value, error, at, epoch) AS (VALUES ${batch.map(() => row).join(', ')})`;
    const sql = pg
      ? `${values}, live AS (SELECT r.id, r.epoch FROM warden_runs r WHERE r.id IN (SELECT run_id FROM v) FOR SHARE)
         INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at)
         SELECT DISTINCT ON (v.run_id, v.seq) v.run_id, v.seq, v.name, v.kind, v.outcome, v.value, v.error, v.at
           FROM v JOIN live ON live.id = v.run_id AND live.epoch = v.epoch
         ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`
      : `${values}
         INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at)
         SELECT v.run_id, v.seq, v.name, v.kind, v.outcome, v.value, v.error, v.at
           FROM v JOIN warden_runs r ON r.id = v.run_id AND r.epoch = v.epoch WHERE true
         ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`;
    const ret = await this.driver.write<{ run_id: string; seq: unknown }>(sql, params);
    const inserted = new Set(ret.map((r) => `${String(r.run_id)}\u0000${num(r.seq)}`));
    const outcomes: (JournalEntry | Error)[] = [];
    for (const p of batch) {
      const e = p.entry;
      const k = `${e.runId}\u0000${e.seq}`;
      if (inserted.has(k)) {
        inserted.delete(k); // a repeat of the same entry later in the batch is answered from the row
        outcomes.push(e);
        continue;
      }
      const existing = await this.driver.read('SELECT * FROM warden_journal WHERE run_id = ? AND seq = ?', [e.runId, e.seq]);
      const stored = existing[0] === undefined ? undefined : toEntry(existing[0]);
      const current = (await this.driver.read<{ epoch: unknown }>('SELECT epoch FROM warden_runs WHERE id = ?', [e.runId]))[0];
      if (current === undefined || num(current.epoch) !== p.epoch) outcomes.push(new FencedError(`run ${e.runId}`, p.epoch, `append journal entry ${e.seq} "${e.name}"`));
      else if (stored === undefined) outcomes.push(new Error(`journal entry ${e.seq} of run ${e.runId} was not written`));
      else if (stored.name !== e.name || stored.kind !== e.kind) outcomes.push(new JournalConflictError(e.runId, e.seq, stored.name, e.name));
      else outcomes.push(stored);
    }
    return outcomes;
  }

  async readJournal(runId: string): Promise<readonly JournalEntry[]> {
    const rows = await this.driver.read('SELECT * FROM warden_journal WHERE run_id = ? ORDER BY seq', [runId]);
    return rows.map(toEntry);
  }

  async truncateJournal(runId: string, epoch: number, fromSeq: number): Promise<number> {
    return this.driver.transaction(async (c) => {
      await this.checkEpoch(c, runId, epoch, `truncate journal from ${fromSeq}`);
      return c.run('DELETE FROM warden_journal WHERE run_id = ? AND seq >= ?', [runId, fromSeq]);
    });
  }

  // ---- effects

  async recordEffectIntent(effect: Omit<EffectRecord, 'status' | 'doneAt'>, epoch: number): Promise<EffectRecord> {
    return this.driver.transaction(async (c) => {
      await this.checkEpoch(c, effect.runId, epoch, `record intent of effect "${effect.name}"`);
      await c.run(
        `INSERT INTO warden_effects (key, run_id, seq, name, status, input, intent_at) VALUES (?, ?, ?, ?, 'intent', ?, ?)
         ON CONFLICT (key) DO UPDATE SET status = 'intent', intent_at = excluded.intent_at, done_at = NULL
         WHERE warden_effects.status = 'not_done' AND warden_effects.run_id = excluded.run_id`,
        [effect.key, effect.runId, effect.seq, effect.name, text(effect.input), effect.intentAt],
      );
      const rows = await c.all('SELECT * FROM warden_effects WHERE key = ?', [effect.key]);
      return toEffect(rows[0]!);
    });
  }

  async getEffect(key: string): Promise<EffectRecord | undefined> {
    const rows = await this.driver.read('SELECT * FROM warden_effects WHERE key = ?', [key]);
    return rows[0] === undefined ? undefined : toEffect(rows[0]);
  }

  async listEffects(runId: string): Promise<readonly EffectRecord[]> {
    return (await this.driver.read('SELECT * FROM warden_effects WHERE run_id = ? ORDER BY seq', [runId])).map(toEffect);
  }

  async resolveEffect(key: string, status: 'done' | 'not_done', at: number): Promise<boolean> {
    const n = await this.driver.transaction((c) =>
      c.run("UPDATE warden_effects SET status = ?, done_at = ? WHERE key = ? AND status = 'intent'", [status, at, key]),
    );
    return n > 0;
  }

  // ---- dead letters

  async addDeadLetter(letter: Omit<DeadLetter, 'status' | 'updatedAt'>): Promise<DeadLetter> {
    return this.driver.transaction(async (c) => {
      await c.run(
        `INSERT INTO warden_dead_letters (id, source, run_id, input, error, attempts, trace_id, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          letter.id,
          letter.source,
          letter.runId ?? null,
          JSON.stringify(letter.input),
          JSON.stringify(letter.error),
          JSON.stringify(letter.attempts),
          letter.traceId,
          letter.createdAt,
          letter.createdAt,
        ],
      );
      return toDeadLetter((await c.all('SELECT * FROM warden_dead_letters WHERE id = ?', [letter.id]))[0]!);
    });
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.driver.read('SELECT * FROM warden_dead_letters WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : toDeadLetter(rows[0]);
  }

  async listDeadLetters(filter: { status?: DeadLetterStatus; source?: string; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.source !== undefined) {
      where.push('source = ?');
      params.push(filter.source);
    }
    params.push(filter.limit ?? 1000);
    const rows = await this.driver.read(
      `SELECT * FROM warden_dead_letters${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`,
      params,
    );
    return rows.map(toDeadLetter);
  }

  async updateDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { status: DeadLetterStatus; replayInput?: Json; replayedAs?: string },
    at: number,
  ): Promise<DeadLetter | undefined> {
    if (from.length === 0) return undefined;
    const rows = await this.driver.transaction((c) =>
      c.all(
        `UPDATE warden_dead_letters SET status = ?, replay_input = COALESCE(?, replay_input), replayed_as = COALESCE(?, replayed_as), updated_at = ?
          WHERE id = ? AND status IN (${placeholders(from.length)}) RETURNING *`,
        [patch.status, text(patch.replayInput), patch.replayedAs ?? null, at, id, ...from],
      ),
    );
    return rows[0] === undefined ? undefined : toDeadLetter(rows[0]);
  }

  // ---- quarantine

  async quarantineGet(namespace: string, key: string): Promise<Json | undefined> {
    const rows = await this.driver.read<{ record: string }>('SELECT record FROM warden_quarantine WHERE namespace = ? AND key = ?', [namespace, key]);
    return rows[0] === undefined ? undefined : parse(rows[0].record);
  }

  async quarantinePut(namespace: string, key: string, record: Json): Promise<void> {
    await this.driver.transaction((c) =>
      c.run('INSERT INTO warden_quarantine (namespace, key, record) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET record = excluded.record', [
        namespace,
        key,
        JSON.stringify(record),
      ]),
    );
  }

  async quarantineDelete(namespace: string, key: string): Promise<boolean> {
    return (await this.driver.transaction((c) => c.run('DELETE FROM warden_quarantine WHERE namespace = ? AND key = ?', [namespace, key]))) > 0;
  }

  async quarantineList(namespace?: string): Promise<readonly { namespace: string; key: string; record: Json }[]> {
    const rows = await this.driver.read<{ namespace: string; key: string; record: string }>(
      `SELECT namespace, key, record FROM warden_quarantine${namespace === undefined ? '' : ' WHERE namespace = ?'} ORDER BY namespace, key`,
      namespace === undefined ? [] : [namespace],
    );
    return rows.map((r) => ({ namespace: String(r.namespace), key: String(r.key), record: parse(r.record) }));
  }

  // ---- approvals and audit

  async requestApproval(approval: Omit<Approval, 'status' | 'decidedAt' | 'decidedBy' | 'decisionReason'>, epoch: number): Promise<Approval> {
    return this.driver.transaction(async (c) => {
      await this.checkEpoch(c, approval.runId, epoch, `request approval of "${approval.action}"`);
      await c.run(
        `INSERT INTO warden_approvals (id, run_id, seq, action, kind, reason, details, status, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (id) DO NOTHING`,
        [approval.id, approval.runId, approval.seq, approval.action, approval.kind, approval.reason, JSON.stringify(approval.details), approval.requestedAt],
      );
      return toApproval((await c.all('SELECT * FROM warden_approvals WHERE id = ?', [approval.id]))[0]!);
    });
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    const rows = await this.driver.read('SELECT * FROM warden_approvals WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : toApproval(rows[0]);
  }

  async listApprovals(filter: { status?: ApprovalStatus; runId?: string } = {}): Promise<readonly Approval[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.runId !== undefined) {
      where.push('run_id = ?');
      params.push(filter.runId);
    }
    const rows = await this.driver.read(
      `SELECT * FROM warden_approvals${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at, id`,
      params,
    );
    return rows.map(toApproval);
  }

  async decideApproval(id: string, decision: Decision, by: string, reason: string, at: number): Promise<{ approval: Approval; decided: boolean } | undefined> {
    return this.driver.transaction(async (c) => {
      const rows = await c.all('SELECT * FROM warden_approvals WHERE id = ?', [id]);
      if (rows[0] === undefined) return undefined;
      const current = toApproval(rows[0]);
      if (current.status !== 'pending') return { approval: current, decided: false };
      await c.run(
        "UPDATE warden_approvals SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ? WHERE id = ? AND status = 'pending'",
        [decision, at, by, reason, id],
      );
      await c.run('INSERT INTO warden_audit (at, actor, action, subject, reason, details) VALUES (?, ?, ?, ?, ?, ?)', [
        at,
        by,
        decision === 'approved' ? 'approval.approved' : 'approval.denied',
        `approval:${id}`,
        reason,
        JSON.stringify({ runId: current.runId, action: current.action, seq: current.seq }),
      ]);
      await c.run("UPDATE warden_runs SET request = 'resume', updated_at = ? WHERE id = ? AND status = 'suspended'", [at, current.runId]);
      const after = toApproval((await c.all('SELECT * FROM warden_approvals WHERE id = ?', [id]))[0]!);
      return { approval: after, decided: true };
    });
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    return this.driver.transaction(async (c) => {
      const rows = await c.all(
        'INSERT INTO warden_audit (at, actor, action, subject, reason, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
        [entry.at, entry.actor, entry.action, entry.subject, entry.reason ?? null, text(entry.details)],
      );
      return toAudit(rows[0]!);
    });
  }

  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<readonly AuditEntry[]> {
    const rows = await this.driver.read(
      `SELECT * FROM warden_audit${filter.subject === undefined ? '' : ' WHERE subject = ?'} ORDER BY id LIMIT ?`,
      filter.subject === undefined ? [filter.limit ?? 1000] : [filter.subject, filter.limit ?? 1000],
    );
    return rows.map(toAudit);
  }

  // ---- leases

  async claimLease(key: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    const n = await this.driver.transaction((c) =>
      c.run(
        `INSERT INTO warden_leases (key, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE warden_leases.owner = excluded.owner OR warden_leases.expires_at <= ?`,
        [key, owner, expiresAt, now],
      ),
    );
    return n > 0;
  }

  async releaseLease(key: string, owner: string): Promise<boolean> {
    return (await this.driver.transaction((c) => c.run('DELETE FROM warden_leases WHERE key = ? AND owner = ?', [key, owner]))) > 0;
  }

  async listLeases(now: number): Promise<readonly KeyLease[]> {
    const rows = await this.driver.read('SELECT * FROM warden_leases WHERE expires_at > ? ORDER BY key', [now]);
    return rows.map((r) => ({ key: String(r.key), owner: String(r.owner), expiresAt: num(r.expires_at) }));
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

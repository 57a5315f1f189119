/**
 * {@link RunStore} in SQL (table `warden_runs`). A claim and a finish are single statements
 * whose `WHERE` carries every condition, so two hosts racing for a run cannot both win; only
 * `finishRun` is fenced (by {@link RunFence}): a claim is what moves the epoch, and a request or
 * an idle cancel may come from anyone. Releasing a run clears its owner, its owner process and
 * its run lease together.
 */
import { isWardenError, showValue } from '../runtime/index.ts';
import { assertNever } from '../runtime/internal.ts';
import { journalEntryFromRow } from './sql-journal-rows.ts';
import {
  firstRecord,
  jsonColumn,
  jsonText,
  numberColumn,
  optionalJsonColumn,
  optionalNumberColumn,
  optionalTextColumn,
  placeholders,
  readColumn,
  whereEqual,
  type Row,
  type RowName,
} from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';
import type { RunFence } from './run-fence.ts';
import type { ClaimRunOptions, CompactOptions, NewRun, ProcessIdentity, RunFilter, RunRecord, RunRequest, RunStore, RunUpdate } from './run-store.ts';
import type { StoredError } from './types.ts';

/** Columns that release a run's owner process (set together with `owner = NULL`). */
const NO_OWNER_PROCESS = 'owner_host = NULL, owner_pid_space = NULL, owner_pid = NULL, owner_start = NULL';

const RUN_ROW: RowName = { table: 'warden_runs', key: (r) => `(id ${showValue(String(r.id))})` };

export function runFromRow(r: Row): RunRecord {
  const col = <V>(column: string, read: (v: unknown) => V): V => readColumn(RUN_ROW, r, column, read);
  const out: Record<string, unknown> = {
    id: String(r.id),
    name: String(r.name),
    status: String(r.status),
    input: col('input', jsonColumn),
    epoch: col('epoch', numberColumn),
    traceId: String(r.trace_id),
    createdAt: col('created_at', numberColumn),
    updatedAt: col('updated_at', numberColumn),
  };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v;
  };
  set('output', col('output', optionalJsonColumn));
  set('error', col('error', optionalJsonColumn));
  set('suspendReason', optionalTextColumn(r.suspend_reason));
  set('suspendDetail', col('suspend_detail', optionalJsonColumn));
  set('owner', optionalTextColumn(r.owner));
  set('ownerProcess', ownerProcessFromRow(r));
  set('leaseExpiresAt', col('lease_expires_at', optionalNumberColumn));
  set('request', optionalTextColumn(r.request));
  set('replayOf', optionalTextColumn(r.replay_of));
  set('finishedAt', col('finished_at', optionalNumberColumn));
  set('archivedAt', col('archived_at', optionalNumberColumn));
  return out as unknown as RunRecord;
}

function ownerProcessFromRow(r: Row): ProcessIdentity | undefined {
  if (r.owner_pid === null || r.owner_pid === undefined || r.owner_pid_space === null || r.owner_pid_space === undefined) return undefined;
  const p: { host: string; pidSpace: string; pid: number; startTime?: string } = {
    host: String(r.owner_host ?? ''),
    pidSpace: String(r.owner_pid_space),
    pid: readColumn(RUN_ROW, r, 'owner_pid', numberColumn),
  };
  if (r.owner_start !== null && r.owner_start !== undefined) p.startTime = String(r.owner_start);
  return p;
}

export class SqlRunStore implements RunStore {
  private readonly driver: SqlDriver;
  private readonly fence: RunFence;

  constructor(driver: SqlDriver, fence: RunFence) {
    this.driver = driver;
    this.fence = fence;
  }

  async createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.driver.transaction(async (c) => {
      const inserted = await c.all(
        `INSERT INTO warden_runs (id, name, status, input, epoch, trace_id, replay_of, created_at, updated_at)
         VALUES (?, ?, 'running', ?, 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [run.id, run.name, JSON.stringify(run.input), run.traceId, run.replayOf ?? null, run.at, run.at],
      );
      if (inserted[0] !== undefined) return { run: runFromRow(inserted[0]), created: true };
      const existing = await c.all('SELECT * FROM warden_runs WHERE id = ?', [run.id]);
      return { run: runFromRow(existing[0]!), created: false };
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.driver.read('SELECT * FROM warden_runs WHERE id = ?', [id]);
    return firstRecord(rows, runFromRow);
  }

  async listRuns(filter: RunFilter = {}): Promise<readonly RunRecord[]> {
    const { where, params } = whereEqual({ status: filter.status, name: filter.name });
    const rows = await this.driver.read(`SELECT * FROM warden_runs${where} ORDER BY created_at DESC, id LIMIT ?`, [...params, filter.limit ?? 1000]);
    return rows.map(runFromRow);
  }

  async claimRun(id: string, options: ClaimRunOptions): Promise<RunRecord | undefined> {
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
        [
          options.owner,
          p?.host ?? null,
          p?.pidSpace ?? null,
          p?.pid ?? null,
          p?.startTime ?? null,
          options.leaseExpiresAt,
          options.at,
          id,
          conditional ? 1 : 0,
          me,
          now,
          atEpoch,
        ],
      ),
    );
    return firstRecord(rows, runFromRow);
  }

  async renewRunLeases(owner: string, runs: readonly { id: string; epoch: number }[], leaseExpiresAt: number): Promise<number> {
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
      await this.fence.check(c, id, epoch, `record run ${update.status}`);
      switch (update.status) {
        case 'completed':
          await c.run(
            `UPDATE warden_runs SET status = 'completed', output = ?, owner = NULL, ${NO_OWNER_PROCESS}, lease_expires_at = NULL, request = NULL, finished_at = ?, updated_at = ? WHERE id = ?`,
            [jsonText(update.output), at, at, id],
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
    const n = await this.driver.transaction((c) => c.run('UPDATE warden_runs SET request = ?, updated_at = ? WHERE id = ?', [request ?? null, at, id]));
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
    return firstRecord(rows, runFromRow);
  }

  async listRecoverableRuns(owner: string, now: number, pidSpace?: string): Promise<readonly RunRecord[]> {
    const rows = await this.driver.read(
      `SELECT * FROM warden_runs
        WHERE archived_at IS NULL AND
              ((status = 'running' AND (owner IS NULL OR owner = ? OR lease_expires_at <= ? OR owner_pid_space = ?))
               OR (request = 'resume' AND status IN ('suspended', 'failed')))
        ORDER BY created_at, id`,
      [owner, now, pidSpace ?? null],
    );
    return rows.flatMap((r) => {
      try {
        return [runFromRow(r)];
      } catch (e) {
        if (isWardenError(e, 'STORE_ROW_UNREADABLE')) return [];
        throw e;
      }
    });
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
          const entries = (await c.all('SELECT * FROM warden_journal WHERE run_id = ? ORDER BY seq', [id])).map(journalEntryFromRow);
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
}

/**
 * The owner-epoch fence: a write on behalf of a run carries the epoch its writer claimed the run
 * at, and is refused with the runtime's `FencedError` (code `FENCED`) inside the same transaction
 * unless that is still the run's epoch, so a superseded owner never interleaves writes with the
 * new one. On Postgres the check takes a row lock on the run (`FOR SHARE`): a concurrent claim
 * waits for the write to commit, and every later write sees the new epoch. SQLite runs one
 * writing transaction at a time, so it needs no lock.
 */
import { FencedError } from '../runtime/index.ts';
import type { Dialect } from './migrations.ts';
import { numberColumn, readColumn } from './sql-columns.ts';
import type { SqlConn } from './sql-driver.ts';

export class RunFence {
  /** Appended to a `SELECT ... FROM warden_runs` that reads epochs to check: `' FOR SHARE'` on Postgres. */
  readonly lockClause: string;

  constructor(dialect: Dialect) {
    this.lockClause = dialect === 'postgres' ? ' FOR SHARE' : '';
  }

  /** Throw `FencedError` naming `operation` unless run `runId` exists and is at `epoch`. */
  async check(c: SqlConn, runId: string, epoch: number, operation: string): Promise<void> {
    const rows = await c.all<{ epoch: unknown }>(`SELECT epoch FROM warden_runs WHERE id = ?${this.lockClause}`, [runId]);
    const current =
      rows[0] === undefined ? undefined : readColumn({ table: 'warden_runs', key: () => `(id ${JSON.stringify(runId)})` }, rows[0], 'epoch', numberColumn);
    if (current !== epoch) throw new FencedError(`run ${runId}`, epoch, operation);
  }
}

/**
 * Rows this version cannot read (written by a newer version, or edited by hand): JSON cut
 * short, a number that is not one, a journal kind or outcome it does not know. Each is refused
 * with an `UnreadableRowError` naming the table, the row and the column, never a bare
 * SyntaxError; rows around it read as usual, and recovery passes over it to the others.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { openSqliteStore, type Store } from './index.ts';

const AT = 1_767_225_600_000;

async function twoRuns(): Promise<{ file: string; store: Store }> {
  const file = join(mkdtempSync(join(tmpdir(), 'warden-unreadable-')), 'warden.db');
  const store = await openSqliteStore({ path: file });
  for (const id of ['bad', 'good']) {
    await store.createRun({ id, name: 'digest', input: { n: 1 }, traceId: 't', at: AT });
    const run = (await store.claimRun(id, { owner: 'gone', leaseExpiresAt: AT + 1, at: AT }))!;
    await store.appendJournal({ runId: id, seq: 0, name: 'fetch', kind: 'step', outcome: 'ok', valueJson: '[1]', at: AT }, run.epoch);
  }
  await store.close();
  return { file, store: await openSqliteStore({ path: file }) };
}

function edit(file: string, sql: string): void {
  const db = new Database(file);
  db.prepare(sql).run();
  db.close();
}

async function refusal(read: () => Promise<unknown>): Promise<{ message: string; column: string }> {
  const e = await read().then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isWardenError(e, 'STORE_ROW_UNREADABLE')) throw new Error(`expected STORE_ROW_UNREADABLE, got ${String(e)}`);
  return { message: e.message, column: e.column };
}

describe('rows this version cannot read', () => {
  it.each([
    [
      'a journal value cut short',
      "UPDATE warden_journal SET value = '[1,' WHERE run_id = 'bad'",
      'value',
      /warden_journal \(run "bad", seq 0\): column value holds "\[1,", which is not JSON/,
    ],
    ['a journal error cut short', "UPDATE warden_journal SET error = '' WHERE run_id = 'bad'", 'error', /column error holds "", which is not JSON/],
    [
      'a journal kind from a newer version',
      "UPDATE warden_journal SET kind = 'signal' WHERE run_id = 'bad'",
      'kind',
      /column kind holds "signal", which this version does not know \(it knows step, effect, approval\)/,
    ],
    [
      'a journal outcome from a newer version',
      "UPDATE warden_journal SET outcome = 'skipped' WHERE run_id = 'bad'",
      'outcome',
      /column outcome holds "skipped"/,
    ],
    [
      'a journal time that is not a number',
      "UPDATE warden_journal SET at = 'soon' WHERE run_id = 'bad'",
      'at',
      /column at holds "soon", which is not a number/,
    ],
  ])('refuses %s naming the row and column; the other run reads', async (_what, sql, column, message) => {
    const { file, store } = await twoRuns();
    edit(file, sql);
    try {
      const r = await refusal(() => store.readJournal('bad'));
      expect(r.column).toBe(column);
      expect(r.message).toMatch(message);
      expect((await store.readJournal('good')).map((e) => e.name)).toEqual(['fetch']);
    } finally {
      await store.close();
    }
  });

  it('refuses a run row with input cut short, and recovery passes over it to the others', async () => {
    const { file, store } = await twoRuns();
    edit(file, "UPDATE warden_runs SET input = '{\"n\":' WHERE id = 'bad'");
    try {
      const r = await refusal(() => store.getRun('bad'));
      expect(r.message).toMatch(/^warden_runs \(id "bad"\): column input holds "\{\\"n\\":", which is not JSON/);
      expect((await store.listRecoverableRuns('new-host', AT + 10)).map((run) => run.id)).toEqual(['good']);
    } finally {
      await store.close();
    }
  });
});

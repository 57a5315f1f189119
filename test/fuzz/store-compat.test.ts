/**
 * Fuzzing store rows and journal entries written by an older or newer version: a crashed run's
 * journal rows and run row are rewritten in SQLite with values this version did not write (a
 * kind or outcome it does not know, JSON that is cut short or has fields it does not know, a
 * status from a newer version, numbers stored as text), beside an intact crashed run. Reading
 * and recovering never let a SyntaxError or TypeError escape: a row that cannot be used is
 * refused with a typed Warden error naming the run; the intact run still resumes and replays
 * its journal without running its steps again. Effect, approval and dead-letter rows are
 * rewritten the same way: each read answers or names the row, and the intact rows still read.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurableHost, defineRun } from '../../src/durable/index.ts';
import { VirtualClock } from '../../src/runtime/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { fuzzParams, isTypedRejection } from './fuzz-settings.ts';

const AT = 1_767_225_600_000;
const OWNER = { host: 'gone-host', pidSpace: 'linux:fuzz-boot:pidns-1', pid: 4242, startTime: '1234' };

/** For each of 'damaged' and 'intact': a run with an effect intent, a pending approval and a dead letter. */
async function seedOtherRows(file: string): Promise<void> {
  const store = await openSqliteStore({ path: file });
  for (const id of ['damaged', 'intact']) {
    await store.createRun({ id, name: 'digest', input: { topics: ['otp'] }, traceId: '0af7651916cd43dd8448eb211c80319c', at: AT });
    const run = (await store.claimRun(id, { owner: 'gone-host', ownerProcess: OWNER, leaseExpiresAt: AT + 30_000, at: AT }))!;
    await store.recordEffectIntent(
      { key: `${id}:9:send-mail`, runId: id, seq: 9, name: 'send-mail', input: { to: 'ada@example.com' }, intentAt: AT + 3 },
      run.epoch,
    );
    await store.requestApproval(
      {
        id: `${id}:8`,
        runId: id,
        seq: 8,
        action: 'send-mail',
        kind: 'effect',
        reason: 'marked irreversible',
        details: { args: { to: 'board@example.com' } },
        requestedAt: AT + 4,
      },
      run.epoch,
    );
    await store.addDeadLetter({
      id: `${id}-letter`,
      source: 'digest',
      runId: id,
      input: { topics: ['otp'] },
      error: { name: 'Error', message: 'boom' },
      attempts: [],
      traceId: 't',
      createdAt: AT + 5,
    });
  }
  await store.close();
}

/** Two crashed runs with the same journal: 'damaged' (to be rewritten) and 'intact'. */
async function seed(file: string): Promise<void> {
  const store = await openSqliteStore({ path: file });
  for (const id of ['damaged', 'intact']) {
    await store.createRun({ id, name: 'digest', input: { topics: ['otp'] }, traceId: '0af7651916cd43dd8448eb211c80319c', at: AT });
    const run = (await store.claimRun(id, { owner: 'gone-host', ownerProcess: OWNER, leaseExpiresAt: AT + 30_000, at: AT }))!;
    await store.appendJournal(
      { runId: id, seq: 0, name: 'fetch', kind: 'step', outcome: 'ok', valueJson: JSON.stringify(['otp news']), at: AT + 1 },
      run.epoch,
    );
    await store.appendJournal(
      {
        runId: id,
        seq: 1,
        name: 'summarise',
        kind: 'step',
        outcome: 'error',
        error: { name: 'HttpStatusError', message: 'HTTP 529', code: 'HTTP_STATUS', attempts: [] },
        at: AT + 2,
      },
      run.epoch,
    );
  }
  await store.close();
}

/** A value another version might have left in a column. */
const cell = fc.oneof(
  fc.constantFrom(
    null,
    '',
    '{',
    '[1,',
    'null',
    '"text"',
    '{"name":"Error","message":"m","addedLater":{"x":1}}',
    '{"unknown":"shape"}',
    '["otp news"]',
    '{"v":2,"value":["otp news"]}',
    'step',
    'effect',
    'signal',
    'sleep',
    'child_run',
    'ok',
    'error',
    'cancelled',
    'skipped',
    'running',
    'paused',
    'suspended',
    'waiting_for_signal',
    '12',
    'not a number',
    0,
    -1,
    1.5,
    2 ** 53,
  ),
  fc.json({ maxDepth: 2 }),
  fc.string({ maxLength: 10 }),
  fc.integer(),
);

const JOURNAL_COLUMNS = ['name', 'kind', 'outcome', 'value', 'error', 'at'] as const;
const RUN_COLUMNS = [
  'status',
  'input',
  'output',
  'error',
  'suspend_reason',
  'suspend_detail',
  'request',
  'replay_of',
  'lease_expires_at',
  'epoch',
  'created_at',
] as const;

const rewrite = fc.record({
  journal: fc.array(fc.tuple(fc.constantFrom(0, 1), fc.constantFrom(...JOURNAL_COLUMNS), cell), { maxLength: 3 }),
  run: fc.array(fc.tuple(fc.constantFrom(...RUN_COLUMNS), cell), { maxLength: 2 }),
  /** A row from a newer version for a later step of the damaged run. */
  extraEntry: fc.option(fc.record({ kind: cell, outcome: cell, value: cell, error: cell }), { nil: undefined }),
});

function apply(file: string, r: typeof rewrite extends fc.Arbitrary<infer T> ? T : never): void {
  const db = new Database(file);
  try {
    for (const [seq, column, value] of r.journal) {
      try {
        db.prepare(`UPDATE warden_journal SET ${column} = ? WHERE run_id = 'damaged' AND seq = ?`).run(value, seq);
      } catch {
        // A NOT NULL column refuses NULL: the row stays as it was.
      }
    }
    for (const [column, value] of r.run) {
      try {
        db.prepare(`UPDATE warden_runs SET ${column} = ? WHERE id = 'damaged'`).run(value);
      } catch {
        // As above.
      }
    }
    if (r.extraEntry !== undefined) {
      const e = r.extraEntry;
      try {
        db.prepare(`INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at) VALUES ('damaged', 2, 'archive', ?, ?, ?, ?, ?)`).run(
          e.kind ?? 'step',
          e.outcome ?? 'ok',
          e.value,
          e.error,
          AT + 3,
        );
      } catch {
        // As above.
      }
    }
  } finally {
    db.close();
  }
}

function expectTyped(e: unknown, what: string): void {
  if (isTypedRejection(e)) return;
  throw new Error(`${what}: expected a typed Warden error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
}

/** Other tables' rows: which columns another version may have filled differently, and how each is read. */
const OTHER_TABLES = {
  warden_effects: { where: "key = 'damaged:9:send-mail'", columns: ['input', 'seq', 'intent_at', 'done_at', 'status'] },
  warden_approvals: { where: "id = 'damaged:8'", columns: ['details', 'seq', 'requested_at', 'decided_at', 'status', 'kind'] },
  warden_dead_letters: { where: "id = 'damaged-letter'", columns: ['input', 'error', 'attempts', 'replay_input', 'created_at', 'updated_at', 'status'] },
} as const;

const otherRewrite = fc.array(
  fc
    .constantFrom(...(Object.keys(OTHER_TABLES) as (keyof typeof OTHER_TABLES)[]))
    .chain((table) => fc.tuple(fc.constant(table), fc.constantFrom(...OTHER_TABLES[table].columns), cell)),
  { minLength: 1, maxLength: 3 },
);

describe('fuzzing rows and journal entries from another version', () => {
  it('reads effects, approvals and dead letters another version wrote, or refuses them naming the row; the intact rows read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-rows-'));
    const template = join(dir, 'template.db');
    await seedOtherRows(template);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(otherRewrite, async (rewrites) => {
        const file = join(dir, `warden-${n++}.db`);
        copyFileSync(template, file);
        const db = new Database(file);
        for (const [table, column, value] of rewrites) {
          try {
            db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${OTHER_TABLES[table].where}`).run(value);
          } catch {
            // A NOT NULL column refuses NULL: the row stays as it was.
          }
        }
        db.close();
        const store = await openSqliteStore({ path: file });
        try {
          const reads: (() => Promise<unknown>)[] = [
            () => store.getEffect('damaged:9:send-mail'),
            () => store.listEffects('damaged'),
            () => store.getApproval('damaged:8'),
            () => store.listApprovals(),
            () => store.getDeadLetter('damaged-letter'),
            () => store.listDeadLetters(),
          ];
          for (const read of reads) {
            await read().catch((e: unknown) => {
              expectTyped(e, 'a read of a rewritten row');
              expect((e as Error).message).toMatch(/^warden_\w+ \(/);
            });
          }
          expect((await store.getEffect('intact:9:send-mail'))?.input).toEqual({ to: 'ada@example.com' });
          expect((await store.getApproval('intact:8'))?.details).toEqual({ args: { to: 'board@example.com' } });
          expect((await store.getDeadLetter('intact-letter'))?.input).toEqual({ topics: ['otp'] });
        } finally {
          await store.close();
        }
      }),
      fuzzParams(40),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and recovers what it can, refuses the rest with a typed error, and the intact run still resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-store-'));
    const template = join(dir, 'template.db');
    await seed(template);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(rewrite, async (r) => {
        const file = join(dir, `warden-${n++}.db`);
        copyFileSync(template, file);
        apply(file, r);
        let store: Store | undefined;
        try {
          store = await openSqliteStore({ path: file });
        } catch (e) {
          expectTyped(e, 'openSqliteStore');
          return;
        }
        try {
          // Reads: each either answers or refuses with a typed error.
          for (const read of [() => store!.getRun('damaged'), () => store!.readJournal('damaged'), () => store!.listRuns()]) {
            await read().catch((e: unknown) => expectTyped(e, 'a read of the damaged run'));
          }
          const intactJournal = await store.readJournal('intact');
          expect(intactJournal.map((e) => e.name)).toEqual(['fetch', 'summarise']);
          expect((await store.getRun('intact'))?.status).toBe('running');

          const executed: string[] = [];
          const digest = defineRun('digest', async (run, input: { topics: string[] }) => {
            const news = await run.step('fetch', () => (executed.push('fetch'), input.topics.map((t) => `${t} news`)));
            let summary: string;
            try {
              summary = await run.step('summarise', () => (executed.push('summarise'), `${news.length} items`));
            } catch (e) {
              summary = `unavailable (${(e as { code?: string }).code})`;
            }
            await run.step('archive', () => (executed.push('archive'), true));
            return { summary };
          });
          const clock = new VirtualClock({ startMs: AT + 3_600_000 });
          const host = new DurableHost({ store, runs: [digest], clock, owner: 'new-host' });
          try {
            let handles: Awaited<ReturnType<DurableHost['recover']>> = [];
            try {
              handles = await host.recover();
            } catch (e) {
              expectTyped(e, 'host.recover()');
            }
            const results = await Promise.all(handles.map(async (h) => ({ id: h.id, result: await h.result.catch((e: unknown) => ({ thrown: e })) })));
            const intact = results.find((x) => x.id === 'intact');
            expect(intact?.result, 'the intact run resumes beside the damaged one').toEqual({
              status: 'completed',
              runId: 'intact',
              output: { summary: 'unavailable (STEP_FAILED)' },
            });
            const damaged = results.find((x) => x.id === 'damaged');
            if (damaged !== undefined && 'thrown' in (damaged.result as object)) expectTyped((damaged.result as { thrown: unknown }).thrown, 'the damaged run');
            if (damaged !== undefined && (damaged.result as { status?: string }).status === 'failed') {
              const error = (damaged.result as { error?: { message?: string } }).error;
              expect(typeof error?.message === 'string' && error.message !== '').toBe(true);
            }
            // The intact run's journaled steps were replayed, not run again.
            expect(executed.filter((s) => s === 'fetch').length).toBeLessThanOrEqual(damaged === undefined ? 0 : 1);
          } finally {
            await host.close();
          }
        } finally {
          await store.close();
        }
      }),
      fuzzParams(40),
    );
    rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * Golden journals: databases written by released schema versions (test/fixtures/
 * golden-journal-v*.db, made by make-golden-journal.ts) must still open and resume with today's
 * code: journaled steps, effects and failures replay without running again, and a pending
 * approval still gates its action. Each fixture is copied first; the original is never written.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../src/runtime/index.ts';
import { openSqliteStore, SCHEMA_VERSION } from '../src/store/index.ts';
import { DurableHost, defineRun } from '../src/durable/index.ts';
import { waitFor } from '../src/testing/index.ts';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const files = readdirSync(fixtures)
  .filter((f) => /^golden-journal-v\d+\.db$/.test(f))
  .sort();

describe('golden journals', () => {
  it('has one for the current schema version', () => {
    expect(files).toContain(`golden-journal-v${SCHEMA_VERSION}.db`);
  });

  it.each(files)('%s still resumes: journaled work replays, the rest runs once', async (file) => {
    const before = readFileSync(join(fixtures, file));
    const db = join(mkdtempSync(join(tmpdir(), 'warden-golden-')), 'warden.db');
    copyFileSync(join(fixtures, file), db);
    const store = await openSqliteStore({ path: db });
    const executed: string[] = [];
    const digest = defineRun('golden-digest', async (run, input: { to: string; topics: string[] }) => {
      const news = await run.step('fetch', () => (executed.push('fetch'), input.topics.map((t) => `${t} news`)));
      const receipt = await run.effect('send-mail', () => (executed.push('send-mail'), 'msg-new'), { irreversible: input.to.startsWith('board@') });
      let summary: string;
      try {
        summary = await run.step('summarise', () => (executed.push('summarise'), `${news.length} items`));
      } catch (e) {
        summary = `unavailable (${(e as { code?: string }).code})`;
      }
      await run.step('archive', () => (executed.push('archive'), true));
      return { receipt, summary };
    });
    const clock = new VirtualClock({ startMs: 1_767_225_600_000 + 3_600_000 });
    const bus = new EventBus(clock);
    const events: WardenEvent[] = [];
    bus.onAny((e) => events.push(e));
    const host = new DurableHost({ store, runs: [digest], clock, bus, owner: 'new-host' });
    try {
      const handles = await host.recover();
      expect(handles.map((h) => h.id)).toEqual(['crashed']);
      expect(await handles[0]!.result).toEqual({ status: 'completed', runId: 'crashed', output: { receipt: 'msg-17', summary: 'unavailable (STEP_FAILED)' } });
      expect(executed).toEqual(['archive']);
      expect(events.filter((e) => e.type === 'run.step_replayed').map((e) => (e as { step: string }).step)).toEqual(['fetch', 'send-mail', 'summarise']);

      executed.length = 0;
      expect((await store.getRun('awaiting-approval'))?.status).toBe('suspended');
      await host.approvals.approve('awaiting-approval:1', { by: 'golden-test', reason: 'fixture' });
      await waitFor(() => events.some((e) => e.type === 'run.completed' && e.runId === 'awaiting-approval'), 'the approved run to complete');
      expect(executed).toEqual(['send-mail', 'summarise', 'archive']);
      expect((await store.getRun('awaiting-approval'))?.output).toEqual({ receipt: 'msg-new', summary: '1 items' });
    } finally {
      await host.close();
      await store.close();
    }
    expect(readFileSync(join(fixtures, file)).equals(before)).toBe(true);
  });
});

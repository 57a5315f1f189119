/**
 * kill -9 after a model call was paid and before its step was journaled: a real worker process
 * runs a durable agent against the simulated model server, and is SIGKILLed while the outcome of
 * `model#2` (answered, paid) is on its way to the journal; a second process resumes the run and
 * asks the model for `model#2` again. The first payment is not forgotten: the run's cost counts
 * it beside every journaled call, and the agent's budget counts it too, so a cap that the run
 * would fit without it refuses the run's last call.
 */
import { fork } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentResult } from '../src/agent/index.ts';
import type { RunOutcome } from '../src/durable/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { storeCase } from '../src/testing/index.ts';
import { sim } from './support/agent-harness.ts';
import { runCli } from './support/cli-harness.ts';

const WORKER = new URL('./agent-crash/worker.ts', import.meta.url).pathname;

const script = {
  rules: [
    { match: { toolResult: 'page-4:' }, reply: { text: 'Read all four pages.' } },
    ...[3, 2, 1].map((n) => ({ match: { toolResult: `page-${n}:` }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: n + 1 } }] } })),
    { match: { lastUser: 'Read pages' }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 1 } }] } },
  ],
};
/** Model calls of an uninterrupted run. */
const MODEL_CALLS = 5;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Run the worker, killing the first process once `model#2` is paid and about to be journaled; the second resumes the run. */
async function killedAfterPaying(extraEnv: Record<string, string> = {}) {
  const s = await sim(script);
  cleanups.push(() => s.close());
  const {
    location: { db: path },
    cleanup,
  } = await storeCase('sqlite').open();
  cleanups.push(cleanup);
  let outcome: RunOutcome<AgentResult> | undefined;
  let paidBeforeKill = -1;
  for (let process_ = 1; outcome === undefined; process_++) {
    if (process_ > 2) throw new Error('the worker did not finish after one kill');
    const pause = process_ === 1 ? { PAUSE_BEFORE_JOURNAL: 'model#2' } : {};
    const child = fork(WORKER, [], {
      env: { ...process.env, CRASH_DB: path, MODEL_URL: `${s.url}/v1`, ...pause, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    child.on('message', (m: { type: string; outcome?: RunOutcome<AgentResult> }) => {
      if (m.type === 'paused') {
        paidBeforeKill = s.requestCount;
        child.kill('SIGKILL');
      }
      if (m.type === 'done') outcome = m.outcome;
    });
    const how = await exited;
    expect(how, stderr).toBe(process_ === 1 ? 'SIGKILL' : 0);
  }
  const store = await openSqliteStore({ path });
  const journal = await store.readJournal('crash-1');
  await store.close();
  const notes = journal.filter((e) => e.seq < 0).map((e) => JSON.parse(e.valueJson ?? '{}') as { usd: number; tokens: number });
  const models = journal.filter((e) => e.seq >= 0 && e.name.startsWith('model#'));
  const spentOf = (name: string): number =>
    (JSON.parse(models.find((e) => e.name === name)?.valueJson ?? '{"spent":{"usd":0}}') as { spent: { usd: number } }).spent.usd;
  return { sim: s, outcome: outcome as RunOutcome<AgentResult>, paidBeforeKill, notes, models, spentOf, path };
}

describe('a model call paid, then the process killed before its step was journaled', () => {
  it('is counted in the resumed run’s cost: the first payment and every journaled call', async () => {
    const { sim: s, outcome, paidBeforeKill, notes, models, spentOf } = await killedAfterPaying();
    expect(paidBeforeKill).toBe(2); // model#1 and model#2 answered before the kill
    expect(outcome).toMatchObject({ status: 'completed', output: { output: 'Read all four pages.', steps: MODEL_CALLS } });
    // model#2 was asked twice: once by the killed process (paid, never journaled), once on resume.
    expect(s.requestCount).toBe(MODEL_CALLS + 1);
    expect(notes).toHaveLength(MODEL_CALLS + 1);
    expect(models.map((e) => e.name)).toEqual(['model#1', 'model#2', 'model#3', 'model#4', 'model#5']);
    const journaledUsd = models.reduce((a, e) => a + spentOf(e.name), 0);
    const result = (outcome as { output: AgentResult }).output;
    // The same request got the same answer both times: the lost payment is what model#2 cost.
    expect(result.costUsd).toBeCloseTo(journaledUsd + spentOf('model#2'), 12);
    expect(result.costUsd).toBeCloseTo(
      notes.reduce((a, n) => a + n.usd, 0),
      12,
    );
    expect(result.replayed).toMatchObject({ modelCalls: 1 });
  });

  it('is counted by the resumed run’s budget: a cap the run fits without it refuses the last call', async () => {
    // Five model calls fit an uninterrupted run; with model#2 paid twice the fifth is one too many.
    const { sim: s, outcome, path } = await killedAfterPaying({ BUDGET_STEPS: String(MODEL_CALLS) });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'BUDGET_EXCEEDED', unit: 'steps' } });
    expect(s.requestCount).toBe(MODEL_CALLS); // model#1, model#2 twice, model#3, model#4; model#5 refused before it was sent
    // `warden runs show` lists every payment, the lost one included, beside the journaled steps.
    const show = await runCli(['runs', 'show', 'crash-1', '--db', path]);
    expect(show.code, show.err).toBe(0);
    expect(show.out.match(/^-\d+\s+step\s+spent\s+ok\s+\{.*usd/gm)).toHaveLength(MODEL_CALLS);
  });
});

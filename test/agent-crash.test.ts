/**
 * kill -9 during an agent run: a real worker process runs a durable agent against the simulated
 * model server (through a chaos proxy), is SIGKILLed mid-run, and is started again. The run
 * completes, and the simulated server, which counts every request, shows that no model call
 * whose answer was journaled before the kill was made again.
 *
 * Kill points: while a model request hangs at the proxy (so the killed call never reached the
 * model: nothing at all is repeated), and right after a journal entry is committed (the next call
 * may already be in flight: at most that one is repeated). Waits only on events, never on time.
 */
import { fork } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../src/sim/index.ts';
import type { RunOutcome } from '../src/durable/index.ts';
import type { AgentResult } from '../src/agent/index.ts';
import { storeCase } from '../src/testing/index.ts';
import { sim } from './support/agent-harness.ts';

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

type KillAt = { readonly on: 'hang'; readonly request: number } | { readonly on: 'journaled'; readonly step: string };

/** Run the worker until the run is done, killing it once at `kill`. */
async function runWithKill(kill: KillAt) {
  const s = await sim(script);
  cleanups.push(() => s.close());
  const rules = kill.on === 'hang' ? [{ name: 'hang', after: kill.request - 1, times: 1, fault: { kind: 'hang' as const } }] : [];
  const proxy: ChaosProxy = await startChaosProxy({ target: s.url, rules });
  cleanups.push(() => proxy.close());
  const {
    location: { db: path },
    cleanup,
  } = await storeCase('sqlite').open();
  cleanups.push(cleanup);
  const journaled: string[] = [];
  let outcome: RunOutcome<AgentResult> | undefined;
  let processes = 0;
  let killedAfter = -1;
  while (outcome === undefined) {
    processes++;
    if (processes > 2) throw new Error('the worker did not finish after one kill');
    const child = fork(WORKER, [], { env: { ...process.env, CRASH_DB: path, MODEL_URL: `${proxy.url}/v1` }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    const killNow = (): void => {
      if (processes === 1 && killedAfter === -1) {
        killedAfter = s.requestCount;
        child.kill('SIGKILL');
      }
    };
    const decisions = proxy.onDecision((d) => {
      if (kill.on === 'hang' && d.fault?.kind === 'hang') killNow();
    });
    child.on('message', (m: { type: string; step?: string; outcome?: RunOutcome<AgentResult> }) => {
      if (m.type === 'journaled') {
        journaled.push(m.step as string);
        if (kill.on === 'journaled' && m.step === kill.step) killNow();
      }
      if (m.type === 'done') outcome = m.outcome;
    });
    const how = await exited;
    decisions.dispose();
    if (processes === 1) expect(how, stderr).toBe('SIGKILL');
    else expect(how, stderr).toBe(0);
  }
  return { sim: s, proxy, outcome, journaled, killedAfter };
}

describe('an agent killed with SIGKILL mid-run', () => {
  it.each([2, 4])('resumes without repeating a model call when killed while call %i hangs', async (request) => {
    const { sim: s, proxy, outcome, killedAfter } = await runWithKill({ on: 'hang', request });
    expect(outcome).toMatchObject({ status: 'completed', output: { output: 'Read all four pages.', steps: MODEL_CALLS } });
    expect(killedAfter).toBe(request - 1);
    // The model server answered each call exactly once; the proxy saw the hung one too.
    expect(s.requestCount).toBe(MODEL_CALLS);
    expect(new Set(s.requests.map((r) => JSON.stringify(r.body))).size).toBe(MODEL_CALLS);
    expect(proxy.decisions).toHaveLength(MODEL_CALLS + 1);
    const result = (outcome as { output: AgentResult }).output;
    expect(result.replayed.modelCalls).toBe(request - 1);
    expect(result.replayed.costUsd).toBeGreaterThan(0);
  });

  it('resumes after a kill right after a journal commit, repeating at most the call that was in flight', async () => {
    const { sim: s, outcome, journaled } = await runWithKill({ on: 'journaled', step: 'model#2' });
    expect(outcome).toMatchObject({ status: 'completed', output: { output: 'Read all four pages.' } });
    const bodies = s.requests.map((r) => JSON.stringify(r.body));
    const repeated = bodies.filter((b, i) => bodies.indexOf(b) !== i);
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(s.requestCount).toBeLessThanOrEqual(MODEL_CALLS + 1);
    // The calls journaled before the kill (model#1, model#2) were each made once.
    expect(bodies.filter((b) => b === bodies[0])).toHaveLength(1);
    expect(bodies.filter((b) => b === bodies[1])).toHaveLength(1);
    expect(journaled.slice(0, 3)).toEqual(['model#1', 'tool#1.1 read_page', 'model#2']);
  });
});

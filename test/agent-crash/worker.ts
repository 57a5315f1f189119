/**
 * The process that gets killed: it runs one durable agent run, "crash-1", whose model is the
 * simulated server behind a chaos proxy (OpenAI SDK) and whose tool looks pages up locally. It
 * reports to the parent over IPC: 'journaled' after each journal entry is committed, 'done' with
 * the outcome. A restarted worker (same owner name) takes the run back at once and resumes it.
 *
 * Configured by environment: CRASH_DB (SQLite file), MODEL_URL (OpenAI base URL); optionally
 * PAUSE_BEFORE_JOURNAL (a step name: when that step's outcome is about to be journaled, the worker
 * reports 'paused' and waits there for good, so the parent can kill it after the step's work was
 * done and before its outcome is durable) and BUDGET_STEPS (the agent's budget cap on model calls).
 */
import { z } from 'zod';
import { defineAgent, tool } from '../../src/agent/index.ts';
import { DurableHost } from '../../src/durable/index.ts';
import { createModelClient, openaiChat } from '../../src/llm/index.ts';
import { EventBus, realClock } from '../../src/runtime/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`worker: ${name} is not set`);
  return v;
};
const send = (m: unknown): void => {
  process.send?.(m);
};

const store = await openSqliteStore({ path: env('CRASH_DB') });
const pauseBefore = process.env.PAUSE_BEFORE_JOURNAL;
if (pauseBefore !== undefined && pauseBefore !== '') {
  const append = store.appendJournal.bind(store);
  store.appendJournal = async (entry, epoch, effectDone) => {
    if (entry.seq >= 0 && entry.name === pauseBefore) {
      send({ type: 'paused', step: entry.name });
      await new Promise(() => undefined);
    }
    return append(entry, epoch, effectDone);
  };
}
const budgetSteps = process.env.BUDGET_STEPS;
const bus = new EventBus(realClock);
bus.on('run.step_completed', (e) => send({ type: 'journaled', step: e.step, seq: e.seq }));

const model = createModelClient({
  models: [openaiChat({ model: 'sim-small', apiKey: 'sk-test', baseURL: env('MODEL_URL') })],
  pricing: { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
  retry: false,
  bus,
});
const reader = defineAgent({
  name: 'reader',
  system: 'You are the reader.',
  model,
  bus,
  ...(budgetSteps === undefined ? {} : { budget: { limits: { steps: Number(budgetSteps) } } }),
  tools: {
    read_page: tool({ description: 'Read a page', input: z.object({ n: z.number().int() }), run: ({ n }) => `page-${n}: supervision restarts what crashed.` }),
  },
});
const host = new DurableHost({ store, runs: [reader.definition], owner: 'crash-worker', bus });
const [resumed] = await host.recover();
const handle = resumed ?? (await host.start(reader.definition, 'Read pages 1 to 4.', { id: 'crash-1' }));
const outcome = await handle.result;
send({ type: 'done', outcome });
await host.close();
await store.close();
process.disconnect?.();

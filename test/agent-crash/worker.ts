/**
 * The process that gets killed: it runs one durable agent run, "crash-1", whose model is the
 * simulated server behind a chaos proxy (OpenAI SDK) and whose tool looks pages up locally. It
 * reports to the parent over IPC: 'journaled' after each journal entry is committed, 'done' with
 * the outcome. A restarted worker (same owner name) takes the run back at once and resumes it.
 *
 * Configured by environment: CRASH_DB (SQLite file), MODEL_URL (OpenAI base URL).
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

/**
 * API keys of any length never reach what Warden writes down. A key shorter than 6 characters
 * used to be skipped by the redactor, so a provider that echoed it ("Incorrect API key
 * provided: k3y") put it in the error, the events, the dead letter and the store. Here a durable
 * run calls the simulated server (which echoes the wrong key, like the real APIs) through the
 * official SDKs with a short key; the run fails, lands in the dead-letter queue, and the key
 * appears nowhere: not in the events, the letter, nor any row of the SQLite store. (The
 * redactor's own rules for short keys are tested beside it, in src/llm/redact.test.ts.)
 */
import Database from 'better-sqlite3';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../src/runtime/index.ts';
import { DurableHost, defineRun } from '../src/durable/index.ts';
import { REDACTED, anthropicMessages, createModelClient, openaiChat } from '../src/llm/index.ts';
import { startSimServer, type SimServer } from '../src/sim/index.ts';
import { storeCase } from '../src/testing/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Every row of every table of a SQLite file, as text. */
function dumpSqlite(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

/** `key` standing as a token of its own in `text` (what a leak looks like). */
function leaks(text: string, key: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9_-])${key}(?![A-Za-z0-9_-])`).test(text);
}

describe('a short API key', () => {
  it.each([
    ['openai', 'k3y'],
    ['anthropic', 'Zq9x'],
  ] as const)('%s: a rejected %s key is in none of the error, the events, the dead letter or the store', async (api, key) => {
    const sim: SimServer = await startSimServer({ apiKey: 'the-right-key-000000' });
    cleanups.push(() => sim.close());
    const { store, location: loc, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const clock = new VirtualClock({ startMs: Date.parse('2031-01-01T00:00:00Z') });
    const bus = new EventBus(clock);
    const events: WardenEvent[] = [];
    bus.onAny((e) => events.push(e));
    const model =
      api === 'openai'
        ? openaiChat({ model: 'sim-small', apiKey: key, baseURL: sim.openaiBaseURL })
        : anthropicMessages({ model: 'sim-large', apiKey: key, baseURL: sim.anthropicBaseURL });
    const client = createModelClient({ models: [model], clock, bus });
    const ask = defineRun('ask', async (run, input: { q: string }) =>
      run.step('call-model', async () => (await client.complete({ messages: [{ role: 'user', content: input.q }] })).text),
    );
    const host = new DurableHost({ store, runs: [ask], clock, bus, owner: 'worker-1' });
    cleanups.push(() => host.close());

    const { id, result } = await host.start(ask, { q: 'What does a supervisor do?' });
    const outcome = await result;

    // The server did echo the key back: the test is about what Warden did with it.
    expect(sim.requests[0]).toMatchObject({ status: 401, source: 'unauthorized' });
    expect(outcome.status).toBe('failed');
    const letters = await store.listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.runId).toBe(id);
    const texts = {
      outcome: inspect(outcome, { depth: 20 }),
      events: `${JSON.stringify(events)}\n${inspect(events, { depth: 20 })}`,
      deadLetters: JSON.stringify(letters),
      journal: JSON.stringify(await store.readJournal(id)),
      store: dumpSqlite(loc.db),
    };
    expect(
      Object.entries(texts)
        .filter(([, text]) => leaks(text, key))
        .map(([where]) => where),
    ).toEqual([]);
    // ...and the letter still says what went wrong, with the key masked.
    expect(letters[0]?.error.message).toContain(REDACTED);
    expect(JSON.stringify(letters[0]?.error)).toContain('MODEL_AUTH');
    expect(texts.events).toContain(REDACTED);
  });
});

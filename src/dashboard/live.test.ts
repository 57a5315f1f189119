/**
 * Live updates on the virtual clock: while a page listens on /api/events, a change another
 * process makes in the store (a dead letter added, an approval decided, a host publishing)
 * reaches it as a `change` event naming the views to fetch again, within one poll interval;
 * nothing is read while nobody listens.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../runtime/index.ts';
import { DeadLetterQueue, publishHostSnapshots } from '../durable/index.ts';
import { storeCase, waitFor, type TestStore } from '../testing/index.ts';
import { startDashboard, type DashboardServer } from './index.ts';

const TOKEN = 'live-test-token-0123456789';

/** The SSE events of one open stream, as they arrive. */
async function openEvents(dashboard: DashboardServer): Promise<{ events: { event: string; data: unknown }[]; close(): void }> {
  const abort = new AbortController();
  const response = await fetch(`${dashboard.origin}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { event: string; data: unknown }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined) events.push({ event, data: data === undefined ? undefined : JSON.parse(data) });
      }
    }
  })();
  return { events, close: () => abort.abort() };
}

describe('live updates', () => {
  let t: TestStore;
  let clock: VirtualClock;
  let dashboard: DashboardServer;

  beforeEach(async () => {
    t = await storeCase('sqlite').open();
    clock = new VirtualClock({ startMs: 1_000_000 });
    dashboard = await startDashboard({ store: t.store, token: TOKEN, clock, pollMs: 500 });
  });
  afterEach(async () => {
    await dashboard.close();
    await t.cleanup();
  });

  it('tells a listening page which views changed, one poll after the store changed', async () => {
    const stream = await openEvents(dashboard);
    await waitFor(() => stream.events.some((e) => e.event === 'ready'), 'the stream is open');
    await waitFor(() => dashboard.listening === 1, 'the page listens');
    /** Let the watcher's next reading happen: once it is armed (beside the stream's keepalive timer), advance to it. */
    const nextReading = async (): Promise<void> => {
      await waitFor(() => clock.pendingTimers() === 2, 'the next reading is armed');
      await clock.advance(500);
    };
    await nextReading(); // the baseline reading
    await nextReading();
    expect(stream.events.filter((e) => e.event === 'change')).toEqual([]); // nothing changed yet

    await new DeadLetterQueue(t.store, { clock }).add({ source: 'importer', input: { file: 'a.csv' }, error: new Error('bad row') });
    await nextReading();
    await waitFor(() => stream.events.some((e) => e.event === 'change'), 'a change event arrives');
    expect(stream.events.filter((e) => e.event === 'change').map((e) => e.data)).toEqual([{ topics: ['dlq'] }]);

    const publisher = await publishHostSnapshots({ store: t.store, host: 'worker-1', clock, intervalMs: 10_000 });
    await publisher.stop(); // its last snapshot is written; no timer of its own left
    await nextReading();
    await waitFor(() => stream.events.filter((e) => e.event === 'change').length === 2, 'a second change event arrives');
    expect(stream.events.at(-1)!.data).toEqual({ topics: ['hosts', 'health'] });

    stream.close();
    await waitFor(() => dashboard.listening === 0, 'the page stopped listening');
    expect(clock.pendingTimers()).toBe(0); // no reading armed while nobody listens
  });
});

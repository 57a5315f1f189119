/**
 * A plain agent tool that is not idempotent, given `reconcile`: the agent's process is killed
 * while the tool runs (after its charge, before its result is journaled), its supervisor
 * restarts it, and the resumed run asks `reconcile` instead of charging again. Without
 * `reconcile` the tool runs again, at least once, as documented. Against the simulated model
 * server over real HTTP, on SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentChild, defineAgent, tool } from '../src/agent/index.ts';
import { Runtime, type WardenEvent } from '../src/runtime/index.ts';
import { startSupervisor, stopSupervisor } from '../src/supervisor/index.ts';
import { storeCase } from '../src/testing/index.ts';
import { sim, simClient } from './support/agent-harness.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const script = {
  rules: [
    { match: { toolResult: 'charged o-1' }, reply: { text: 'Charged.' } },
    { match: { lastUser: 'Charge' }, reply: { toolCalls: [{ name: 'charge', arguments: { order: 'o-1' } }] } },
  ],
};

describe('a plain tool with reconcile, killed mid-call', () => {
  for (const reconciled of [true, false]) {
    it(reconciled ? 'is asked about on resume and charges once' : 'without reconcile, runs again: at least once', async () => {
      const s = await sim(script);
      cleanups.push(() => s.close());
      const { store, cleanup } = await storeCase('sqlite').open();
      cleanups.push(cleanup);
      const rt = new Runtime();
      const seen: WardenEvent[] = [];
      rt.events.onAny((e) => seen.push(e));
      const charged: string[] = [];
      const charge = tool({
        description: 'Charge an order (the payment service takes no idempotency key)',
        input: z.object({ order: z.string() }),
        run: async ({ order }) => {
          charged.push(order);
          if (charged.length === 1) {
            // The process dies while the call is in flight: its result is never journaled.
            const pid = rt.whereis('biller');
            if (pid !== undefined) rt.sendExit(pid, 'kill');
            await new Promise<never>(() => {});
          }
          return `charged ${order}`;
        },
        ...(reconciled
          ? {
              reconcile: ({ args }) =>
                charged.includes((args as { order: string }).order) ? { done: true, value: `charged ${(args as { order: string }).order}` } : { done: false },
            }
          : {}),
      });
      const agent = defineAgent({ name: 'biller', model: simClient('openai', s.urls), tools: { charge } });
      const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
      const root = await startSupervisor(rt, {
        children: [{ id: 'biller', restart: 'transient', start: agentChild(agent, { input: 'Charge order o-1.', store, runId: 'bill', register: 'biller' }) }],
      });
      cleanups.push(() => stopSupervisor(rt, root));
      await done;
      expect(await store.getRun('bill')).toMatchObject({ status: 'completed', output: { output: 'Charged.' } });
      expect(charged).toEqual(reconciled ? ['o-1'] : ['o-1', 'o-1']);
      const uncertain = seen.filter((e) => e.type === 'step.uncertain');
      expect(uncertain).toEqual(reconciled ? [expect.objectContaining({ step: 'tool#1.1 charge', reconciled: 'done', runId: 'bill' })] : []);
      expect(s.requestCount).toBe(2);
    });
  }
});

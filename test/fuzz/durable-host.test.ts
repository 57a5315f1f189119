/**
 * Fuzzing the durable host's boundary: its options with fields replaced by anything, run
 * definitions with odd names, and runs started with any input and id. A bad option, name, id or
 * input (one that is not JSON: a bigint, a cycle, a Date) is refused with a typed Warden error
 * naming it before anything is written; a run that starts completes with its input as given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableHost, defineRun } from '../../src/durable/index.ts';
import { VirtualClock, isWardenError, showValue } from '../../src/runtime/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { anyValue, fuzzParams, isTypedRejection } from './fuzz-settings.ts';

const cycle = (() => {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
})();

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-durable-'));
  store = await openSqliteStore({ path: join(dir, 'warden.db') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const echo = defineRun('echo', async (run, input: unknown) => run.step('copy', () => input));

function expectTyped(e: unknown, what: string): void {
  if (isTypedRejection(e)) return;
  throw new Error(`${what}: expected a typed Warden error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
}

describe('fuzzing the durable host', () => {
  it('builds a host from fuzzed options or refuses them naming the field', async () => {
    const options = fc.record(
      {
        runs: fc.oneof(anyValue, fc.constant([echo]), fc.constant([echo, echo]), fc.constant([{ name: 'x' }])),
        owner: fc.oneof(anyValue, fc.constantFrom('host-a', '', ' ', 'x'.repeat(500))),
        leaseMs: anyValue,
        pollMs: anyValue,
        deadLetterOnFailure: anyValue,
        approvalPolicies: anyValue,
        retention: fc.oneof(anyValue, fc.record({ keepMs: anyValue, statuses: anyValue, mode: anyValue }, { requiredKeys: [] })),
        leaseMS: anyValue,
      },
      { requiredKeys: [] },
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        let host: DurableHost | undefined;
        try {
          host = new DurableHost({ store, clock: new VirtualClock(), ...o } as never);
        } catch (e) {
          expectTyped(e, 'new DurableHost');
          refused++;
        }
        await host?.close();
      }),
      fuzzParams(150),
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses a run name that is not one, naming it', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.string({ maxLength: 140 })), (name) => {
        try {
          defineRun(name as never, async () => 1);
        } catch (e) {
          if (!isWardenError(e, 'INVALID_SPEC')) throw e;
          expect(e.message).toMatch(/^defineRun/);
        }
      }),
      fuzzParams(200),
    );
  });

  it('starts a run with any input and id, or refuses it naming what is wrong; a started run gives its input back', async () => {
    const host = new DurableHost({ store, runs: [echo], clock: new VirtualClock(), owner: 'fuzz' });
    let n = 0;
    const used = new Set<unknown>();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(anyValue, fc.jsonValue({ maxDepth: 3 }), fc.constant(cycle), fc.constant({ at: new Date(0) }), fc.constant({ n: 1n })),
          fc.option(fc.oneof(anyValue, fc.constantFrom('', ' ', 'a/b', 'x'.repeat(300))), { nil: undefined }),
          async (input, id) => {
            const runId = id === undefined ? `run-${n++}` : id;
            let handle: Awaited<ReturnType<DurableHost['start']>>;
            try {
              handle = await host.start(echo, input, { id: runId as never });
            } catch (e) {
              expectTyped(e, `host.start(echo, ${showValue(input)}, { id: ${showValue(runId)} })`);
              return;
            }
            const result = await handle.result;
            // A repeated id returns the run that already has it (its input, not this one).
            const fresh = !used.has(runId);
            used.add(runId);
            if (result.status === 'failed') expect(result.error.message).not.toBe('');
            else {
              expect(result.status).toBe('completed');
              if (fresh && result.status === 'completed') expect(result.output).toEqual(JSON.parse(JSON.stringify(input) ?? 'null'));
            }
          },
        ),
        fuzzParams(100),
      );
    } finally {
      await host.close();
    }
  });
});

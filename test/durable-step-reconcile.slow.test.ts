/**
 * Real crashes of a step that is not idempotent, on SQLite and on Postgres: a worker process
 * (test/durable-step-reconcile/worker.ts) charges three orders, one step each, by appending to a
 * ledger file, and is SIGKILLed while the second step runs, after its charge and before its
 * outcome is journaled; a second worker resumes the run. With `reconcile` (which reads the
 * ledger) every order is charged exactly once and the run returns the receipt the lost step
 * made; without it, the interrupted step runs again: at least once, as documented.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStores, type TestStoreLocation } from '../src/testing/index.ts';

const WORKER = new URL('./durable-step-reconcile/worker.ts', import.meta.url).pathname;

interface WorkerEnd {
  readonly charged: readonly string[];
  readonly outcome: unknown;
}

/** Run a worker; with `killOn`, SIGKILL it when it reports charging that step. */
function worker(loc: TestStoreLocation, ledger: string, env: Record<string, string>, killOn?: string): Promise<WorkerEnd> {
  const child = fork(WORKER, [], {
    env: { ...process.env, CRASH_DB: loc.db, CRASH_SCHEMA: loc.schema ?? '', LEDGER: ledger, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const charged: string[] = [];
  let outcome: unknown;
  child.on('message', (m: { type: string; step?: string; outcome?: unknown }) => {
    if (m.type === 'charged') {
      charged.push(m.step!);
      if (m.step === killOn) child.kill('SIGKILL');
    }
    if (m.type === 'done') outcome = m.outcome;
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) => {
      if (killOn !== undefined ? signal === 'SIGKILL' : code === 0 && outcome !== undefined) resolve({ charged, outcome });
      else reject(new Error(`worker ended with ${signal ?? code} before it should have:\n${stderr}`));
    }),
  );
}

/** Kill a worker mid `charge-1`, resume the run in another, and read the ledger. */
async function killMidStepAndResume(loc: TestStoreLocation, reconcile: boolean): Promise<{ first: WorkerEnd; second: WorkerEnd; ledger: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-step-reconcile-'));
  const ledger = join(dir, 'ledger.log');
  writeFileSync(ledger, '');
  const flag = { RECONCILE: reconcile ? '1' : '0' };
  try {
    const first = await worker(loc, ledger, { ...flag, HANG_AT: 'charge-1' }, 'charge-1');
    const second = await worker(loc, ledger, flag);
    return { first, second, ledger: readFileSync(ledger, 'utf8').trim().split('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeStores(describe, 'kill -9 in the middle of a step', (c) => {
  it('with reconcile, charges every order exactly once and returns the lost step’s receipt', async () => {
    const loc = c.location();
    try {
      const { first, second, ledger } = await killMidStepAndResume(loc, true);
      expect(first.charged).toEqual(['charge-0', 'charge-1']);
      expect(second.charged).toEqual(['charge-2']);
      expect(ledger).toEqual(['charges-1 charge-0 receipt-a', 'charges-1 charge-1 receipt-b', 'charges-1 charge-2 receipt-c']);
      expect(second.outcome).toEqual({ status: 'completed', runId: 'charges-1', output: ['receipt-a', 'receipt-b', 'receipt-c'] });
    } finally {
      await loc.drop();
    }
  }, 60_000);

  it('without reconcile, runs the interrupted step again: at least once', async () => {
    const loc = c.location();
    try {
      const { first, second, ledger } = await killMidStepAndResume(loc, false);
      expect(first.charged).toEqual(['charge-0', 'charge-1']);
      expect(second.charged).toEqual(['charge-1', 'charge-2']);
      expect(ledger).toEqual(['charges-1 charge-0 receipt-a', 'charges-1 charge-1 receipt-b', 'charges-1 charge-1 receipt-b', 'charges-1 charge-2 receipt-c']);
      expect(second.outcome).toEqual({ status: 'completed', runId: 'charges-1', output: ['receipt-a', 'receipt-b', 'receipt-c'] });
    } finally {
      await loc.drop();
    }
  }, 60_000);
});

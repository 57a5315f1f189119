/**
 * The outcome a stored run record describes, for every status: a finished run's stored result,
 * a suspended run's reason and detail, and `interrupted` (naming the owner) for one that is
 * still executing somewhere.
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../store/index.ts';
import { outcomeOfRecord } from './run-outcome.ts';

const base: RunRecord = { id: 'r1', name: 'job', status: 'running', input: null, epoch: 1, traceId: 't', createdAt: 0, updatedAt: 0 };

describe('outcomeOfRecord', () => {
  it.each([
    ['completed', { status: 'completed', output: { n: 1 } }, { status: 'completed', runId: 'r1', output: { n: 1 } }],
    [
      'failed',
      { status: 'failed', error: { name: 'Error', message: 'boom', code: 'STEP_FAILED' } },
      { status: 'failed', runId: 'r1', error: { name: 'Error', message: 'boom', code: 'STEP_FAILED' } },
    ],
    ['failed without an error', { status: 'failed' }, { status: 'failed', runId: 'r1', error: { name: 'Error', message: 'failed' } }],
    [
      'cancelled',
      { status: 'cancelled', error: { name: 'RunCancelledError', message: 'run r1 was cancelled: by hand' } },
      { status: 'cancelled', runId: 'r1', reason: 'run r1 was cancelled: by hand' },
    ],
    ['cancelled without an error', { status: 'cancelled' }, { status: 'cancelled', runId: 'r1', reason: 'cancelled' }],
    [
      'suspended',
      { status: 'suspended', suspendReason: 'approval', suspendDetail: { approvalId: 'r1:0' } },
      { status: 'suspended', runId: 'r1', reason: 'approval', detail: { approvalId: 'r1:0' } },
    ],
    ['suspended without a reason', { status: 'suspended' }, { status: 'suspended', runId: 'r1', reason: 'unknown', detail: null }],
    ['running', { status: 'running', owner: 'host-b' }, { status: 'interrupted', runId: 'r1', why: 'run r1 is executing under host-b' }],
    ['running without an owner', { status: 'running' }, { status: 'interrupted', runId: 'r1', why: 'run r1 is executing under another owner' }],
  ] as const)('describes a %s run', (_label, fields, outcome) => {
    expect(outcomeOfRecord({ ...base, ...fields } as RunRecord)).toEqual(outcome);
  });

  it('reports a status it does not know as interrupted, naming it', () => {
    expect(outcomeOfRecord({ ...base, status: 'archived' } as unknown as RunRecord)).toEqual({
      status: 'interrupted',
      runId: 'r1',
      why: 'unknown status archived',
    });
  });
});

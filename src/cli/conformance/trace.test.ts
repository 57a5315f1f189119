/**
 * Trace lines as the oracle writes them: keys in its order, absent fields left out, lines
 * numbered from 1 and stamped with the virtual clock's time when recorded.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../runtime/index.ts';
import { opResult } from './call-results.ts';
import { TraceRecorder, traceLine } from './trace.ts';

describe('trace lines', () => {
  it("writes the oracle's key order and leaves absent fields out", () => {
    const line = traceLine({ children: [{ id: 'a', status: 'running' }], sup: 'root', event: 'children', t: 5, seq: 2 });
    expect(line).toBe('{"seq":2,"t":5,"event":"children","sup":"root","children":[{"id":"a","status":"running"}]}');
  });

  it('numbers lines from 1 and stamps each with the time it was recorded', async () => {
    const clock = new VirtualClock();
    const trace = new TraceRecorder(clock);
    trace.record({ event: 'start', id: 'root', sup: null });
    await clock.advance(250);
    trace.record({ event: 'terminate', id: 'w', sup: 'root', reason: 'crash' });
    expect(trace.events.map(traceLine)).toEqual([
      '{"seq":1,"t":0,"event":"start","id":"root","sup":null}',
      '{"seq":2,"t":250,"event":"terminate","id":"w","sup":"root","reason":"crash"}',
    ]);
  });

  it.each([
    [{ ok: true, pid: undefined }, 'ignored'],
    [{ ok: true }, 'ok'],
    [{ ok: false, error: 'dynamic' }, { error: 'simple_one_for_one' }],
    [{ ok: false, error: 'not_found' }, { error: 'not_found' }],
    [{ ok: false, error: 'start_failed', reason: 'start_failure' }, { error: 'start_failure' }],
  ] as const)('writes the API result %j as %j', (result, expected) => {
    expect(opResult(result)).toEqual(expected);
  });
});

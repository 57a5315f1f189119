/**
 * The chaos proxy's memory of its decisions, on its own: totals that count every decision by
 * fault kind however many are dropped, listeners told in order (one that throws changes
 * nothing), the `chaos.request` event, and `reset()`.
 */
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { ChaosDecisionLog } from './chaos-decision-log.ts';
import type { ChaosDecision, ChaosFault } from './chaos-rules.ts';

const decision = (seq: number, fault?: ChaosFault): ChaosDecision => ({
  seq,
  method: 'POST',
  path: '/v1/chat/completions',
  fault,
  rule: fault === undefined ? undefined : `rules[${seq % 2}]`,
});

describe('ChaosDecisionLog', () => {
  it('counts every decision by fault kind while keeping only the latest ones', () => {
    const log = new ChaosDecisionLog('chaos', undefined, 3, 1_000_000);
    log.record(decision(1));
    log.record(decision(2, { kind: 'rate_limit' }));
    log.record(decision(3, { kind: 'hang' }));
    log.record(decision(4, { kind: 'rate_limit', retryAfterSeconds: 2 }));
    log.record(decision(5));
    expect(log.decisions.map((d) => d.seq)).toEqual([3, 4, 5]);
    expect(log.totals).toEqual({ requests: 5, faults: 3, byFault: { rate_limit: 2, hang: 1 } });
    expect(log.bytes).toBeGreaterThan(0);
  });

  it('gives a copy of the totals, which later decisions do not change', () => {
    const log = new ChaosDecisionLog('chaos', undefined, 10, 1_000_000);
    log.record(decision(1, { kind: 'reset' }));
    const before = log.totals;
    log.record(decision(2, { kind: 'reset' }));
    expect(before).toEqual({ requests: 1, faults: 1, byFault: { reset: 1 } });
    expect(log.totals.byFault).toEqual({ reset: 2 });
  });

  it('tells every listener, in order, even after one throws, and stops telling a disposed one', () => {
    const log = new ChaosDecisionLog('chaos', undefined, 10, 1_000_000);
    const heard: string[] = [];
    log.onDecision(() => {
      heard.push('first');
      throw new Error('a broken listener');
    });
    const second = log.onDecision((d) => heard.push(`second ${d.seq}`));
    log.record(decision(1));
    second.dispose();
    log.record(decision(2));
    expect(heard).toEqual(['first', 'second 1', 'first']);
    expect(log.totals.requests).toBe(2);
  });

  it('reports each decision on the bus as chaos.request, with the fault kind and the rule', () => {
    const bus = new EventBus(new VirtualClock());
    const events: WardenEvent<'chaos.request'>[] = [];
    bus.on('chaos.request', (e) => events.push(e));
    const log = new ChaosDecisionLog('front', bus, 10, 1_000_000);
    log.record(decision(1));
    log.record(decision(2, { kind: 'status', status: 503 }));
    expect(events.map(({ proxy, seq, method, path, fault, rule }) => ({ proxy, seq, method, path, fault, rule }))).toEqual([
      { proxy: 'front', seq: 1, method: 'POST', path: '/v1/chat/completions', fault: undefined, rule: undefined },
      { proxy: 'front', seq: 2, method: 'POST', path: '/v1/chat/completions', fault: 'status', rule: 'rules[0]' },
    ]);
  });

  it('forgets the decisions and the totals on reset, and counts again from zero', () => {
    const log = new ChaosDecisionLog('chaos', undefined, 10, 1_000_000);
    log.record(decision(1, { kind: 'malformed' }));
    log.reset();
    expect([log.decisions.length, log.bytes, log.totals]).toEqual([0, 0, { requests: 0, faults: 0, byFault: {} }]);
    log.record(decision(1));
    expect(log.totals).toEqual({ requests: 1, faults: 0, byFault: {} });
  });
});

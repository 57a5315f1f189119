/**
 * The sharing hooks, per their contract, with the simplest sharing there is: two breakers in one
 * process relaying to each other, and a ledger kept in a variable. A breaker publishes the
 * transitions it makes (not the move to half-open), adopts the other's without publishing them
 * back and with `breaker.state_changed` only, and refuses a probe when the shared slot is
 * taken; a budget refused by its ledger emits `budget.exceeded`, keeps nothing reserved, and
 * settles what the call spent. (On Postgres: src/cluster/cluster.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { isWardenError, type WardenEvent } from '../runtime/index.ts';
import { startHarnessEvents } from '../testing/event-log.ts';
import { Budget } from './budget.ts';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.ts';
import type { BreakerSharing, BudgetLedger, LedgerAmounts, SharedBreakerLink } from './sharing.ts';

/** Breakers in one process sharing through a plain relay; probe slots counted in a variable. */
function relay(maxSlots: { taken: number }) {
  const links: SharedBreakerLink[] = [];
  const published: BreakerState['kind'][] = [];
  const sharing = (): BreakerSharing => {
    let me: SharedBreakerLink;
    return {
      attach: (link) => {
        me = link;
        links.push(link);
      },
      publish: (state) => {
        published.push(state.kind);
        for (const l of links) if (l !== me) l.adopt(state);
      },
      acquireProbe: async (max) => {
        if (maxSlots.taken >= max) return undefined;
        maxSlots.taken++;
        return () => void maxSlots.taken--;
      },
    };
  };
  return { sharing, published };
}

describe('BreakerSharing', () => {
  it('publishes own transitions, adopts the others quietly, and counts probes through the hook', async () => {
    const { clock, bus, events } = startHarnessEvents();
    const slots = { taken: 0 };
    const { sharing, published } = relay(slots);
    const options = { clock, trip: { kind: 'consecutive', failures: 1 } as const, openMs: 1_000, isFailure: () => true };
    const a = new CircuitBreaker({ ...options, name: 'a', sharing: sharing() });
    const b = new CircuitBreaker({ ...options, name: 'b', bus, sharing: sharing() });

    await a.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(published).toEqual(['open']);
    expect(b.state).toMatchObject({ kind: 'open', openUntil: a.state.kind === 'open' ? a.state.openUntil : -1 });
    expect(events.filter((e) => e.type.startsWith('breaker.')).map((e) => e.type)).toEqual(['breaker.state_changed']);
    expect((events[0] as WardenEvent<'breaker.state_changed'>).to).toBe('open');

    await clock.advance(1_000);
    let finish!: () => void;
    const probe = a.execute(() => new Promise<void>((r) => (finish = r)));
    await clock.settle();
    expect(slots.taken).toBe(1);
    const refused = await b.execute(async () => 'x').catch((e: unknown) => e);
    expect(isWardenError(refused, 'BROKEN_CIRCUIT') && refused.state).toBe('half_open');
    expect(b.state).toMatchObject({ kind: 'half_open', inFlight: 0 }); // its own slot given back
    finish();
    await probe;
    expect(slots.taken).toBe(0);
    expect(published).toEqual(['open', 'closed']); // half-open is never published
    expect(b.state.kind).toBe('closed');
  });
});

describe('BudgetLedger', () => {
  function ledger(limitUsd: number) {
    const totals = { spent: 0, reserved: 0 };
    const l: BudgetLedger = {
      reserve: async (_scope, e) => {
        if (totals.spent + totals.reserved + e.usd > limitUsd) {
          return { refused: { unit: 'usd', limit: limitUsd, spent: totals.spent, requested: totals.reserved + e.usd } };
        }
        totals.reserved += e.usd;
        return {
          settle: async (actual: LedgerAmounts | undefined) => {
            totals.reserved -= e.usd;
            totals.spent += actual?.usd ?? 0;
          },
        };
      },
    };
    return { l, totals };
  }

  it('reserves in the ledger before the call, settles what it spent after, and refuses past the shared cap', async () => {
    const { clock, bus, events } = startHarnessEvents();
    const { l, totals } = ledger(2);
    const budget = new Budget({ scope: 'global', clock, bus, ledger: l });
    const child = budget.child({ scope: 'run:1' }); // counts in the ancestor's ledger too
    expect(await child.run((r) => (r.commit({ usd: 0.5 }), 'ok'), { estimate: { usd: 1 } })).toBe('ok');
    expect(totals).toEqual({ spent: 0.5, reserved: 0 });
    const refused = await child.run(async () => 'over', { estimate: { usd: 2 } }).catch((e: unknown) => e);
    expect(isWardenError(refused, 'BUDGET_EXCEEDED') && refused).toMatchObject({ scope: 'global', unit: 'usd', limit: 2, spent: 0.5, requested: 2 });
    expect(events.filter((e) => e.type === 'budget.exceeded')).toMatchObject([{ scope: 'global', phase: 'refused' }]);
    expect(totals).toEqual({ spent: 0.5, reserved: 0 });
    expect(budget.spending.usd).toBe(0.5); // the refused call left nothing reserved or spent here
    await expect(child.run(async () => 'fits', { estimate: { usd: 1 } })).resolves.toBe('fits');
  });
});

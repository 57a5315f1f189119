/**
 * What the chaos proxy remembers of its decisions: the latest ones, within a count and a byte
 * budget (a proxy that runs for days keeps bounded memory), running totals over every decision
 * however many were dropped, and the decision told to each `onDecision` listener and, as a
 * `chaos.request` event (declared in events.ts), to the bus. A listener that throws changes
 * nothing the proxy does. `reset()` forgets the decisions and the totals (the rules' counters are
 * the planner's).
 */
import { disposable, type Disposable, type EventBus } from '../runtime/index.ts';
import { BoundedLog, utf8Bytes } from './bounded-log.ts';
import type { ChaosDecision, ChaosFaultKind } from './chaos-rules.ts';

/** Counts over every request since start or `reset()`, kept decisions or not. */
export interface ChaosTotals {
  readonly requests: number;
  /** Requests that got a fault. */
  readonly faults: number;
  /** Faults by kind. */
  readonly byFault: Readonly<Partial<Record<ChaosFaultKind, number>>>;
}

/** What a decision weighs beside its texts, bytes (a rough figure for the object). */
const DECISION_OVERHEAD_BYTES = 128;

export class ChaosDecisionLog {
  private readonly proxy: string;
  private readonly bus: EventBus | undefined;
  private readonly kept: BoundedLog<ChaosDecision>;
  private readonly listeners = new Set<(d: ChaosDecision) => void>();
  private requests = 0;
  private faults = 0;
  private byFault: Partial<Record<ChaosFaultKind, number>> = {};

  /** `proxy` names the proxy in events; `bus` (if any) hears every decision. */
  constructor(proxy: string, bus: EventBus | undefined, maxDecisions: number, maxDecisionBytes: number) {
    this.proxy = proxy;
    this.bus = bus;
    this.kept = new BoundedLog<ChaosDecision>(maxDecisions, maxDecisionBytes);
  }

  /** The latest decisions, oldest first (a live view). */
  get decisions(): readonly ChaosDecision[] {
    return this.kept.entries;
  }

  /** A copy of the totals. */
  get totals(): ChaosTotals {
    return { requests: this.requests, faults: this.faults, byFault: { ...this.byFault } };
  }

  /** What the kept decisions weigh, bytes. */
  get bytes(): number {
    return this.kept.bytes;
  }

  /** Keep and count `decision`, then tell the listeners and the bus. */
  record(decision: ChaosDecision): void {
    const { method, path } = decision;
    this.kept.add(decision, DECISION_OVERHEAD_BYTES + utf8Bytes(method) + utf8Bytes(path) + utf8Bytes(decision.rule ?? ''));
    this.requests++;
    if (decision.fault !== undefined) {
      this.faults++;
      this.byFault[decision.fault.kind] = (this.byFault[decision.fault.kind] ?? 0) + 1;
    }
    for (const l of this.listeners) {
      try {
        l(decision);
      } catch {
        // A listener's failure must not change what the proxy does.
      }
    }
    if (this.bus?.wants('chaos.request')) {
      this.bus.emit({ type: 'chaos.request', proxy: this.proxy, seq: decision.seq, method, path, fault: decision.fault?.kind, rule: decision.rule });
    }
  }

  onDecision(listener: (decision: ChaosDecision) => void): Disposable {
    this.listeners.add(listener);
    return disposable(() => this.listeners.delete(listener));
  }

  /** Forget the kept decisions and the totals. */
  reset(): void {
    this.kept.clear();
    this.requests = 0;
    this.faults = 0;
    this.byFault = {};
  }
}

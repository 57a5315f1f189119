/**
 * A conformance trace: its lines, with the OTP oracle's field names and key order
 * (`run_scenario.escript`), and the recorder that numbers each line and stamps it with the
 * virtual clock's time as it is written.
 */
import type { Clock, Term } from '../../runtime/index.ts';

/** One line of a trace, with the oracle's field names. */
export interface TraceEvent {
  readonly seq: number;
  readonly t: number;
  readonly event: 'start' | 'start_failed' | 'start_ignored' | 'terminate' | 'supervisor_exit' | 'children' | 'call';
  readonly id?: string | null;
  readonly sup?: string | null;
  readonly reason?: Term;
  readonly op?: string;
  readonly result?: Term;
  readonly children?: ReadonlyArray<{ readonly id: string; readonly status: string }>;
}

const KEY_ORDER = ['seq', 't', 'event', 'id', 'sup', 'reason', 'op', 'result', 'children'] as const;

/** A trace line as JSON with the oracle's key order. */
export function traceLine(e: TraceEvent): string {
  const o: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (e[k] !== undefined) o[k] = e[k];
  return JSON.stringify(o);
}

/** The trace being written: line numbers from 1, times from `clock`. */
export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  record(e: Omit<TraceEvent, 'seq' | 't'>): void {
    this.events.push({ seq: this.events.length + 1, t: this.clock.now(), ...e });
  }
}

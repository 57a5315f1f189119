/**
 * Loop detection: how often each exact tool call (name + arguments in canonical JSON, keys
 * sorted) has been executed in a run. `admit(calls)` checks a whole turn before any of it runs:
 * if some call would be executed more than `limit` times in the run (counting repeats within the
 * turn itself), nothing is recorded and that call is returned; otherwise every call is counted.
 * So no exact call ever runs more than `limit` times (a property test checks it).
 *
 * Written here because it is a counter over `canonicalJson`; what a loop is for an agent (same
 * tool, same arguments) is the whole of it.
 */
import { canonicalJson } from '../resilience/index.ts';

/** A tool call as the guard sees it. */
export interface CallKey {
  readonly name: string;
  /** Parsed arguments, or the raw text when they did not parse. */
  readonly args: unknown;
}

/** The identity of a call: its name and canonical arguments. */
export function callKey(call: CallKey): string {
  let args: string;
  try {
    args = canonicalJson(call.args ?? {});
  } catch {
    args = JSON.stringify(String(call.args));
  }
  return `${call.name}\u0000${args}`;
}

/** Canonical arguments of a call, cut to `max` characters (for messages). */
export function showArgs(call: CallKey, max = 200): string {
  const key = callKey(call);
  const args = key.slice(key.indexOf('\u0000') + 1);
  return args.length > max ? `${args.slice(0, max - 1)}…` : args;
}

export class LoopGuard {
  /** Most executions of one exact call per run. */
  readonly limit: number;
  private readonly counts = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Executions of this exact call so far. */
  countOf(call: CallKey): number {
    return this.counts.get(callKey(call)) ?? 0;
  }

  /**
   * Count a turn's calls, or, if one of them would pass the limit, count none and return it with
   * how often it was already executed. With `record: false`, only check.
   */
  admit(calls: readonly CallKey[], record = true): { readonly call: CallKey; readonly executed: number } | undefined {
    const pending = new Map<string, number>();
    for (const call of calls) {
      const key = callKey(call);
      const before = (this.counts.get(key) ?? 0) + (pending.get(key) ?? 0);
      if (before + 1 > this.limit) return { call, executed: before };
      pending.set(key, (pending.get(key) ?? 0) + 1);
    }
    if (record) for (const [key, n] of pending) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    return undefined;
  }
}

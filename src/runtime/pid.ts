/**
 * Process identifiers. A pid names one incarnation of a process: once it exits, the pid is
 * never reused, so a stale pid can never reach a newer process. Pids print like Erlang's
 * (`<0.42>`: node, then number) and are compared by identity.
 */

const PID_BRAND = Symbol.for('warden.pid');

export interface Pid {
  /** Unique within its runtime, never reused. */
  readonly id: number;
  /** The runtime (node) that owns the process. */
  readonly node: string;
  toString(): string;
}

/** Marks a class's instances as pids (call once with the class's prototype). */
export function brandPid(prototype: object): void {
  Object.defineProperty(prototype, PID_BRAND, { value: true });
}

export function isPid(value: unknown): value is Pid {
  return typeof value === 'object' && value !== null && PID_BRAND in value;
}

export function formatPid(node: string, id: number): string {
  return `<${node}.${id}>`;
}

/**
 * What the company's report counts, across host incarnations: model calls paid and replayed,
 * faults the proxy injected, retries and fallbacks, crashes and restarts, and each component's
 * failures and time down (for MTBF and MTTR). Fed by each host's event stream; the lines of
 * the running log are kept here too, so the command prints them as they come.
 */
export interface Downtime {
  failures: number;
  downMs: number;
  downSince: number | undefined;
}

export class CompanyStats {
  paidCalls = 0;
  replayedCalls = 0;
  replayedUsd = 0;
  replayedSteps = 0;
  retries = 0;
  fallbacks = 0;
  agentCrashes = 0;
  memoryKills = 0;
  hostRestarts = 0;
  restarts = 0;
  readonly faults = new Map<string, number>();
  readonly components = new Map<string, Downtime>();

  component(name: string): Downtime {
    let d = this.components.get(name);
    if (d === undefined) {
      d = { failures: 0, downMs: 0, downSince: undefined };
      this.components.set(name, d);
    }
    return d;
  }

  /** `name` failed at `atMs` (it is down until `up`). */
  down(name: string, atMs: number): void {
    const d = this.component(name);
    if (d.downSince !== undefined) return;
    d.failures++;
    d.downSince = atMs;
  }

  up(name: string, atMs: number): void {
    const d = this.component(name);
    if (d.downSince === undefined) return;
    d.downMs += atMs - d.downSince;
    d.downSince = undefined;
  }

  fault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }
}

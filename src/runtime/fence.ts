/**
 * Fencing: a token that says whether the incarnation holding it is still the current one.
 * Every layer that acts on behalf of a process (journal appends, checkpoints, budget spends,
 * effects, replies) takes a `Fence` and checks it first, so an incarnation that was declared
 * dead (killed, timed out, superseded by a restart) can never act again: the operation is
 * refused with `FencedError` and a `process.fenced` event, never applied.
 *
 * A process's own fence is `ctx.fence`: its generation is its pid number, which only grows
 * within a runtime, so a restarted child always holds a higher generation than the one it
 * replaced. Stores that outlive a runtime add their own epoch (see the durable layer).
 */
import { RUNNING, type ProcessRecord } from './core.ts';
import { WardenError } from './errors.ts';

export interface Fence {
  /** Who holds it (a child id or label, else the pid). */
  readonly owner: string;
  /** Grows with every new incarnation of the owner. */
  readonly generation: number;
  /** True while the holder is current. */
  isCurrent(): boolean;
  /** Throw `FencedError` (and report it) unless the holder is current. */
  check(operation: string): void;
}

// FencedError joins the error map from here, so errors.ts imports nothing back from this file.
declare module './errors.ts' {
  interface WardenErrorMap {
    FencedError: FencedError;
  }
}

/** An operation by a superseded or dead incarnation was refused. */
export class FencedError extends WardenError<'FENCED', { owner: string; generation: number; operation: string }> {
  constructor(owner: string, generation: number, operation: string) {
    super('FENCED', `${owner} (generation ${generation}) is no longer current; ${operation} refused`, { owner, generation, operation });
  }
}

/** A fence that is always current (for work that runs outside any process, e.g. a CLI command). */
export const UNFENCED: Fence = Object.freeze({
  owner: 'unfenced',
  generation: 0,
  isCurrent: () => true,
  check: () => {},
});

/** The fence of one process (`ctx.fence`): it stops being current the moment the process exits. */
export class ProcessFence implements Fence {
  private readonly proc: ProcessRecord;

  constructor(proc: ProcessRecord) {
    this.proc = proc;
  }

  get owner(): string {
    return this.proc.label ?? String(this.proc);
  }

  get generation(): number {
    return this.proc.id;
  }

  isCurrent(): boolean {
    return this.proc.status === RUNNING;
  }

  check(operation: string): void {
    if (this.proc.status === RUNNING) return;
    const events = this.proc.core.events;
    if (events.wants('process.fenced')) {
      events.emit({ type: 'process.fenced', pid: this.proc, owner: this.owner, generation: this.generation, operation });
    }
    throw new FencedError(this.owner, this.generation, operation);
  }
}

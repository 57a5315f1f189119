/**
 * One execution of an agent's run (the first, or a resume that replays the journal before it goes
 * on) as its steps share it: the resolved agent, the journal the steps are written to, and what
 * the process running it lends it (`AgentEnv`), with the few things every step does the same way:
 * emit an event when someone listens, abort a call with its step or its process, beat and honour
 * a stop between steps, and turn a failed step back into the error its code threw.
 */
import type { EventBus, WardenEventInput } from '../runtime/index.ts';
import { StepFailedError } from '../durable/index.ts';
import { AgentStoppedError, errorFromStored } from './errors.ts';
import type { StepJournal } from './journal.ts';
import type { ResolvedAgent } from './options.ts';

/** What the process running an agent lends it. */
export interface AgentEnv {
  /** Where agent (and budget) events go. */
  readonly bus?: EventBus | undefined;
  /** Called on every streamed delta and every step: progress for a watchdog (`ctx.beat`). */
  readonly beat?: (() => void) | undefined;
  /** Aborted when the process ends: in-flight calls are aborted. */
  readonly signal?: AbortSignal | undefined;
  /** Aborted when the process is asked to stop (a watchdog's soft stop). */
  readonly stopSignal?: AbortSignal | undefined;
}

export class Execution<O> {
  readonly agent: ResolvedAgent<O>;
  readonly journal: StepJournal;
  readonly env: AgentEnv;

  constructor(agent: ResolvedAgent<O>, journal: StepJournal, env: AgentEnv) {
    this.agent = agent;
    this.journal = journal;
    this.env = env;
  }

  get runId(): string {
    return this.journal.runId;
  }

  emit(event: WardenEventInput): void {
    const bus = this.env.bus;
    if (bus?.wants(event.type)) bus.emit(event);
  }

  /** Progress for the process's watchdog. */
  beat(): void {
    this.env.beat?.();
  }

  /** The signal a call made inside a step runs under: aborted with the step, or when the process ends or is asked to stop. */
  callSignal(stepSignal: AbortSignal): AbortSignal {
    return anySignal([stepSignal, this.env.signal, this.env.stopSignal]);
  }

  /** Between steps: beat, and end an ephemeral run that was asked to stop (a durable one is stopped by its host, with nothing recorded). */
  checkStop(): void {
    this.env.beat?.();
    const stop = this.env.stopSignal;
    if (!this.journal.durable && stop?.aborted === true) throw new AgentStoppedError(this.agent.name, this.runId, stop.reason);
  }

  /** The error a failed step's code threw (rebuilt from the journal on replay); anything else as it is. */
  stepError(error: unknown): unknown {
    if (error instanceof StepFailedError) {
      if (error.cause !== undefined) return error.cause;
      return errorFromStored(this.agent.name, this.runId, error.original);
    }
    return error;
  }
}

function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present);
}

/**
 * What ends a run's execution without failing it. A `Suspension` is recorded: the run waits, with
 * a reason and detail, for an approval or for a person to say what happened to an uncertain
 * effect. An `Interruption` records nothing: the run stops in this process (its host is
 * closing) and stays `running` in the store for a host to recover. Neither is an `Error`: run
 * code that catches errors to handle its own failures is not meant to handle these.
 */
import type { Json } from '../store/index.ts';

/** Ends a run without failing it: it waits (for an approval, a person resolving an effect). */
export class Suspension {
  readonly reason: string;
  readonly detail: Json;

  constructor(reason: string, detail: Json) {
    this.reason = reason;
    this.detail = detail;
  }
}

/** Ends a run's execution in this process without writing anything (the host is closing). */
export class Interruption {
  readonly why: string;

  constructor(why: string) {
    this.why = why;
  }
}

/**
 * The alerts layer's errors.
 *
 * | code | error | retryable |
 * |---|---|---|
 * | `SUBAGENT_LIMIT` | {@link SubagentLimitError}: a start refused because its kind is over its bound | yes (later) |
 */
import { WardenError } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    SubagentLimitError: SubagentLimitError;
  }
}

/** A start of a child, process or keyed task was refused: its kind already has `running` (bound `max`) or too many starts in the window. */
export class SubagentLimitError extends WardenError<
  'SUBAGENT_LIMIT',
  { monitor: string; kind: string; target: string; bound: 'max' | 'maxStarts'; value: number; limit: number }
> {
  constructor(monitor: string, kind: string, target: string, bound: 'max' | 'maxStarts', value: number, limit: number) {
    super(
      'SUBAGENT_LIMIT',
      bound === 'max'
        ? `"${target}" refused: ${value} of kind "${kind}" already running (at most ${limit}; monitor "${monitor}"); wait for one to finish`
        : `"${target}" refused: ${value} of kind "${kind}" started within the window (at most ${limit}; monitor "${monitor}"); something is spawning it in a loop`,
      { monitor, kind, target, bound, value, limit },
      { retryable: true },
    );
  }
}

/**
 * One streamed attempt: announce it with `start`, forward the adapter's deltas to the caller's
 * stream as they come (marking the call `dirty` once output went out), and give up with
 * {@link StreamStalledError} when no event at all (output, ping or block start) arrives for
 * `streamIdleTimeoutMs`. The attempt's own deadline is the timeout policy's, around this.
 *
 * The idle timer is one timer per idle period, not per event: it re-arms itself for what is left
 * of the period since the last event, and aborts the attempt once a whole period passed without
 * one. So a fast stream costs one clock read per event, not a timer.
 */
import { resultFromStream, type AttemptResult, type StreamMeta } from './adapter.ts';
import type { StreamAccumulator } from './accumulate.ts';
import type { CallState } from './call-state.ts';
import type { ClientSettings } from './client-options.ts';
import { StreamStalledError } from './errors.ts';
import type { Push } from './model-stream.ts';
import type { ModelTarget } from './model-targets.ts';
import type { PreparedRequest } from './request.ts';

/** Consume one streamed attempt into `acc`, forwarding its deltas, with the idle timeout. */
export async function consumeStream(
  settings: ClientSettings,
  state: CallState,
  target: ModelTarget,
  level: 'primary' | 'fallback',
  prepared: PreparedRequest,
  signal: AbortSignal,
  acc: StreamAccumulator,
  attempt: number,
  resumeText: string,
): Promise<AttemptResult> {
  const push = state.push as Push;
  const adapter = target.adapter;
  const clock = settings.clock;
  const idleMs = settings.idleMs;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  let lastEventAt = clock.now();
  const idle = (): void => {
    const quietMs = clock.now() - lastEventAt;
    if (quietMs >= idleMs) controller.abort(new StreamStalledError(adapter.name, adapter.model, idleMs));
    else timer = clock.setTimer(idleMs - quietMs, idle);
  };
  let timer = clock.setTimer(idleMs, idle);
  const meta: StreamMeta = { id: '', model: adapter.model, touch: () => (lastEventAt = clock.now()) };
  push({ type: 'start', provider: adapter.name, model: adapter.model, level, attempt, resumed: resumeText !== '' });
  try {
    for await (const delta of adapter.open(prepared, controller.signal, meta)) {
      acc.add(delta);
      if (delta.type === 'text' || delta.type === 'tool_call') state.dirty = true;
      push(delta);
    }
  } finally {
    timer.cancel();
    signal.removeEventListener('abort', onAbort);
  }
  return resultFromStream(acc, meta, prepared);
}

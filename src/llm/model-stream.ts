/**
 * A {@link ModelStream} around a producer: the producer runs at once (whether or not anyone
 * iterates) and pushes deltas into a queue that the iterator drains; `response` settles with the
 * producer's result. Breaking out of the loop (or `abort()`) aborts the producer's signal.
 *
 * The queue is unbounded: a model's answer is bounded by its output-token cap, and a caller that
 * only awaits `response` must not stall the call. Written by hand because it is a few lines
 * over a promise and an array; stream libraries would add a dependency for less control.
 */
import type { ModelResult, ModelStream, StreamDelta } from './types.ts';

export type Push = (delta: StreamDelta) => void;

export function createModelStream<Q>(producer: (push: Push, signal: AbortSignal) => Promise<ModelResult<Q>>, parent: AbortSignal | undefined): ModelStream<Q> {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent !== undefined) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', onParentAbort, { once: true });
  }
  const queue: StreamDelta[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const push: Push = (delta) => {
    if (finished) return;
    queue.push(delta);
    notify();
  };
  const response = (async () => {
    try {
      return await producer(push, controller.signal);
    } finally {
      parent?.removeEventListener('abort', onParentAbort);
    }
  })();
  response.then(
    () => {
      finished = true;
      notify();
    },
    (error: unknown) => {
      finished = true;
      failure = { error };
      notify();
    },
  );

  async function* iterate(): AsyncGenerator<StreamDelta, void, undefined> {
    let completed = false;
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      completed = true;
      if (failure !== undefined) throw failure.error;
    } finally {
      if (!completed && !finished) controller.abort(new DOMException('the stream consumer stopped reading', 'AbortError'));
    }
  }

  let iterated = false;
  return {
    response,
    abort(reason?: unknown) {
      controller.abort(reason ?? new DOMException('the stream was aborted', 'AbortError'));
    },
    [Symbol.asyncIterator]() {
      if (iterated) throw new Error('a model stream can be iterated only once');
      iterated = true;
      return iterate();
    },
  };
}

/**
 * Run definitions: a name bound to the code of a durable run. A host process registers its
 * definitions; the journal stores only the name, so a run started by one process is resumed by
 * any process that registers the same name (after a crash, a restart, or on another machine).
 * The CLI only marks runs in the store; a host picks the marks up.
 */
import { InvalidSpecError } from '../runtime/index.ts';
import type { Json } from '../store/index.ts';
import type { RunContext } from './run-context.ts';

export type RunFunction<I = Json, O = unknown> = (run: RunContext, input: I) => Promise<O>;

export interface RunDefinition<I = Json, O = unknown> {
  readonly name: string;
  readonly fn: RunFunction<I, O>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Name a run function so hosts can start and resume it.
 *
 * @example
 * ```ts
 * const digest = defineRun('daily-digest', async (run, input: { to: string }) => {
 *   const news = await run.step('fetch-news', () => fetchNews());
 *   const text = await run.step('summarise', () => summarise(news));
 *   await run.effect('send-mail', ({ idempotencyKey }) => mail.send(input.to, text, { idempotencyKey }));
 *   return text;
 * });
 * ```
 */
export function defineRun<I = Json, O = unknown>(name: string, fn: RunFunction<I, O>): RunDefinition<I, O> {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidSpecError('defineRun', 'name', name, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  }
  if (typeof fn !== 'function') throw new InvalidSpecError(`defineRun "${name}"`, 'fn', fn, 'must be a function (run, input) => Promise');
  return Object.freeze({ name, fn });
}

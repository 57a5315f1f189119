/**
 * The run definitions a host can execute, by name. A name holds one definition: registering the
 * same definition again is harmless, a different one under a taken name is refused. Asking for a
 * name nobody registered is an `UnknownRunError` listing the names that are.
 */
import { InvalidSpecError } from '../runtime/index.ts';
import type { RunDefinition } from './definition.ts';
import { UnknownRunError } from './errors.ts';

export class RunRegistry {
  private readonly definitions = new Map<string, RunDefinition<unknown, unknown>>();

  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output (a run function takes its input, so `RunDefinition<unknown>` would accept none)
  register(def: RunDefinition<any, any>): void {
    if (this.definitions.has(def.name) && this.definitions.get(def.name) !== def) {
      throw new InvalidSpecError('durable host', 'runs', def.name, 'registers two different definitions under one name');
    }
    this.definitions.set(def.name, def as RunDefinition<unknown, unknown>);
  }

  has(name: string): boolean {
    return this.definitions.has(name);
  }

  /** The definition registered under `name`; throws `UnknownRunError` if there is none. */
  get(name: string): RunDefinition<unknown, unknown> {
    const def = this.definitions.get(name);
    if (def === undefined) throw new UnknownRunError(name, this.names());
    return def;
  }

  names(): readonly string[] {
    return [...this.definitions.keys()];
  }
}

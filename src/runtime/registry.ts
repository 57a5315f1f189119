/**
 * The named registry: one name per process, one process per name, released when the
 * process exits (as Erlang's `register/2`).
 */
import { InvalidSpecError, NameTakenError } from './errors.ts';
import { RUNNING, type ProcessRecord } from './process.ts';

export class Registry {
  private readonly names = new Map<string, ProcessRecord>();

  register(name: string, proc: ProcessRecord): void {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidSpecError('register', 'name', name, 'must be a non-empty string');
    }
    const holder = this.names.get(name);
    if (holder !== undefined && holder.status === RUNNING) {
      if (holder === proc) return;
      throw new NameTakenError(name, holder);
    }
    const current = proc.x?.name;
    if (current !== undefined) {
      throw new InvalidSpecError('register', 'pid', String(proc), `already registered as "${current}"`);
    }
    this.names.set(name, proc);
    proc.extras().name = name;
  }

  unregister(name: string): boolean {
    const holder = this.names.get(name);
    if (holder === undefined) return false;
    this.names.delete(name);
    if (holder.x !== null) holder.x.name = undefined;
    return true;
  }

  whereis(name: string): ProcessRecord | undefined {
    const p = this.names.get(name);
    return p !== undefined && p.status === RUNNING ? p : undefined;
  }

  /** Called when a process exits. */
  release(proc: ProcessRecord): void {
    const name = proc.x?.name;
    if (name !== undefined && this.names.get(name) === proc) this.names.delete(name);
  }

  entries(): Array<[string, ProcessRecord]> {
    return [...this.names].filter(([, p]) => p.status === RUNNING);
  }
}

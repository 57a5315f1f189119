/**
 * The named registry: one name per process, one process per name, released when the
 * process exits (as Erlang's `register/2`). The names live in the core (`core.names`); a
 * process's own name in its extras, so an exit releases it without a search.
 */
import { InvalidSpecError, NameTakenError, ProcessExitedError } from './errors.ts';
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import type { Pid } from './pid.ts';

/** Register `pid` (a live process of this runtime) as `name`. */
export function registerName(core: Core, name: string, pid: Pid): void {
  const proc = core.recordOf(pid);
  if (proc === undefined || proc.status !== RUNNING) {
    throw new ProcessExitedError(pid, proc?.exitReason ?? 'noproc', 'register');
  }
  registerRecord(core, name, proc);
}

/** Register a live record as `name`: a name held by a live process is taken; a process has at most one name. */
export function registerRecord(core: Core, name: string, proc: ProcessRecord): void {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidSpecError('register', 'name', name, 'must be a non-empty string');
  }
  const holder = core.names.get(name);
  if (holder !== undefined && holder.status === RUNNING) {
    if (holder === proc) return;
    throw new NameTakenError(name, holder);
  }
  const current = proc.extras?.name;
  if (current !== undefined) {
    throw new InvalidSpecError('register', 'pid', String(proc), `already registered as "${current}"`);
  }
  core.names.set(name, proc);
  proc.ensureExtras().name = name;
}

/** Forget `name`; false if it was not registered. */
export function unregisterName(core: Core, name: string): boolean {
  const holder = core.names.get(name);
  if (holder === undefined) return false;
  core.names.delete(name);
  if (holder.extras !== null) holder.extras.name = undefined;
  return true;
}

/** The live process registered as `name`, if any. */
export function lookupName(core: Core, name: string): ProcessRecord | undefined {
  const proc = core.names.get(name);
  return proc !== undefined && proc.status === RUNNING ? proc : undefined;
}

/** Registered names and their live processes. */
export function registeredNames(core: Core): Array<[string, Pid]> {
  return [...core.names].filter(([, proc]) => proc.status === RUNNING);
}

/** `proc` exited: its name is free. */
export function releaseName(core: Core, proc: ProcessRecord): void {
  const name = proc.extras?.name;
  if (name !== undefined && core.names.get(name) === proc) core.names.delete(name);
}

/**
 * Reading a JSON input file for a command (a sim script, chaos rules), with every failure turned
 * into a `UsageError` that names the option, the file and, for a bad field, its path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isWardenError } from '../../runtime/index.ts';
import { UsageError } from '../command.ts';

/** Parse the JSON file given to `--option` and validate it with `parse`. */
export function loadJsonOption<T>(option: string, file: string, cwd: string, parse: (input: unknown) => T): T {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`--${option}: ${file} is not valid JSON (${(e as Error).message})`);
  }
  try {
    return parse(json);
  } catch (e) {
    if (isWardenError(e, 'INVALID_SPEC')) throw new UsageError(`--${option}: ${file}: ${(e as Error).message}`);
    throw e;
  }
}

/** Resolve when the process is asked to stop (SIGINT or SIGTERM). */
export function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/** Turn a listen failure into a usage error naming the port. */
export function listenError(e: unknown, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new UsageError(`--port ${port} is already in use`);
  if (code === 'EACCES') return new UsageError(`--port ${port} needs privileges this process does not have`);
  // EINVAL: a name the resolver refuses outright (too long, a bad label); EAI_AGAIN: one no resolver could answer for.
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EINVAL' || code === 'EAI_AGAIN')
    return new UsageError(`--host: cannot listen on that address (${code})`);
  return e;
}

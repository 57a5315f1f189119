/**
 * The CLI in this process, as a user runs it: `main` with its output captured, no TTY, an
 * environment and a working folder of the test's choosing.
 */
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run `warden <argv>` with `cwd` (default: the repository) and `env` (default: empty). */
export async function runCli(argv: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main([...argv], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: false,
    env: options.env ?? {},
    cwd: options.cwd ?? new URL('../..', import.meta.url).pathname,
  });
  return { code, out, err };
}

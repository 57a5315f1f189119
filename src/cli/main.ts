/**
 * The `warden` command line: dispatches to one command per file, with `--help` on every
 * command. Bad input (an unknown command or option, a malformed value, a database location
 * that names none) is reported on stderr with a pointer to the help, exit status 2; a failing
 * command exits 1 with one line naming the problem (a stack trace only for a bug).
 */
import { parseArgs } from 'node:util';
import { isWardenError } from '../runtime/index.ts';
import { UsageError, type CliIO } from './command.ts';
import { commands } from './registry.ts';
import { wardenVersion } from './version.ts';

export { commands };

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: warden <command> [options]

Erlang/OTP-grade fault tolerance for AI agents: supervision trees, resilience
policies and a durable journal.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'warden <command> --help' for a command's options.
Options:
  -h, --help     show this help
  -v, --version  print the version
`;
}

/** Run the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(globalHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`warden ${wardenVersion()}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    io.stderr.write(`warden: unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')}). Run 'warden --help'.\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return 0;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: command.positionals, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
    }
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
  } catch (e) {
    // A location that names no database is bad input, like a malformed option.
    if (e instanceof UsageError || isWardenError(e, 'STORE_LOCATION_INVALID')) {
      io.stderr.write(`warden ${command.name}: ${(e as Error).message}\nRun 'warden ${command.name} --help' for usage.\n`);
      return 2;
    }
    // A Warden error names the problem in its message; anything else is a bug, shown with its stack.
    io.stderr.write(`warden ${command.name}: ${isWardenError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** Process entry: real stdio, exit code applied. */
export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}

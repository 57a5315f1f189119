/**
 * `warden conformance`: runs OTP conformance scenarios on Warden's supervisors (on the virtual
 * clock, so a 5 s window runs instantly) and prints each trace as JSON lines, or, with
 * `--expected`, compares them with the traces OTP produced.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isWardenError } from '../../runtime/index.ts';
import { compareTraces, parseTrace } from '../conformance/compare.ts';
import { runScenario, traceLine } from '../conformance/runner.ts';
import { parseScenario } from '../conformance/scenario.ts';
import { UsageError, type Command } from '../command.ts';

function scenarioFiles(paths: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const full = resolve(cwd, p);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (stat.isDirectory()) {
      const inDir = readdirSync(full)
        .filter((f) => f.endsWith('.json'))
        .sort();
      if (inDir.length === 0) throw new UsageError(`no *.json scenarios in ${p}`);
      files.push(...inDir.map((f) => join(full, f)));
    } else {
      files.push(full);
    }
  }
  return files;
}

function loadScenario(file: string): ReturnType<typeof parseScenario> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return parseScenario(json);
  } catch (e) {
    if (isWardenError(e, 'INVALID_SPEC')) throw new UsageError(`${file}: ${(e as Error).message}`);
    throw e;
  }
}

export const conformanceCommand: Command = {
  name: 'conformance',
  help: `Usage: warden conformance <scenario.json|dir>... [--expected <file|dir>]

Runs supervision scenarios (the format of the OTP conformance suite: a tree plus a timed
script of faults and API calls) on Warden's supervisors, on a virtual clock, and prints
each trace as JSON lines, in the same form as the OTP oracle.

Options:
  --expected <file|dir>  compare with OTP's traces instead of printing: a .jsonl file for a
                         single scenario, or a directory holding NAME.jsonl for each NAME.json;
                         prints ok/FAIL per scenario and exits 1 if any differs
  -h, --help             show this help

Examples:
  warden conformance test/conformance/scenarios/01_one_for_one_basic.json
  warden conformance test/conformance/scenarios --expected test/conformance/expected
`,
  options: { expected: { type: 'string' } },
  positionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give at least one scenario file or directory');
    const files = scenarioFiles(args.positionals, io.cwd);
    const expected = args.values.expected === undefined ? undefined : resolve(io.cwd, String(args.values.expected));
    let failed = 0;
    for (const file of files) {
      const scenario = loadScenario(file);
      const trace = (await runScenario(scenario)).map(traceLine);
      if (expected === undefined) {
        io.stdout.write(`${trace.join('\n')}\n`);
        continue;
      }
      const name = basename(file, '.json');
      const expectedFile = statSync(expected, { throwIfNoEntry: false })?.isDirectory() ? join(expected, `${name}.jsonl`) : expected;
      let want;
      try {
        want = parseTrace(readFileSync(expectedFile, 'utf8'));
      } catch (e) {
        throw new UsageError(`cannot read the expected trace ${expectedFile}: ${(e as Error).message}`);
      }
      const errors = compareTraces(want, parseTrace(trace.join('\n')));
      if (errors.length === 0) io.stdout.write(`ok     ${name}\n`);
      else {
        failed++;
        io.stdout.write(`FAIL   ${name}\n${errors.join('\n')}\n`);
      }
    }
    if (expected !== undefined) io.stdout.write(`${files.length - failed} passed, ${failed} failed\n`);
    return failed === 0 ? 0 : 1;
  },
};

/**
 * Warden's runtime side by side with Erlang/OTP on this machine, in one run: restart latency
 * after a crash (median, p99), one-way message throughput, call round trip, memory per idle
 * process, and spawning 1,000,000 processes.
 *
 *   npm run bench:runtime -- [--rounds N]
 *
 * Every measurement runs in a fresh process (bench/runtime/warden.ts under Node,
 * bench/runtime/otp_bench.erl under `erl`); the order of the runtimes alternates between
 * rounds; the table reports medians across rounds and the raw values follow. OTP is measured
 * with its default schedulers (one per core) and with one scheduler (`+S 1`), the closest
 * analogue to a single event loop.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

const here = new URL('.', import.meta.url).pathname;
const out = `${here}out`;
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);

type Result = Record<string, number | string>;
type Runner = 'warden' | 'otp' | 'otp-s1';

const MODES: ReadonlyArray<{ mode: string; n: number; runners: readonly Runner[] }> = [
  { mode: 'restart', n: 20_000, runners: ['warden', 'otp', 'otp-s1'] },
  { mode: 'messages', n: 2_000_000, runners: ['warden', 'otp', 'otp-s1'] },
  { mode: 'server-messages', n: 2_000_000, runners: ['warden'] },
  { mode: 'call', n: 1_000_000, runners: ['warden', 'otp', 'otp-s1'] },
  { mode: 'memory', n: 100_000, runners: ['warden', 'otp'] },
  { mode: 'server-memory', n: 100_000, runners: ['warden'] },
  { mode: 'spawn', n: 1_000_000, runners: ['warden', 'otp'] },
];

function run(runner: Runner, mode: string, n: number): Result {
  const args =
    runner === 'warden'
      ? { cmd: process.execPath, argv: ['--expose-gc', `${here}runtime/warden.ts`, mode, String(n)] }
      : {
          cmd: 'erl',
          argv: [...(runner === 'otp-s1' ? ['+S', '1'] : []), '+P', '2000000', '-noshell', '-pa', out, '-s', 'otp_bench', 'main', mode, String(n)],
        };
  const stdout = execFileSync(args.cmd, args.argv, { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 600_000 });
  const line = stdout.trim().split('\n').at(-1) as string;
  return JSON.parse(line) as Result;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

mkdirSync(out, { recursive: true });
execFileSync('erlc', ['-o', out, `${here}runtime/otp_bench.erl`]);
const otpVersion = execFileSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], {
  encoding: 'utf8',
});

const raw: Record<string, Record<Runner, Result[]>> = {};
for (let round = 0; round < rounds; round++) {
  for (const { mode, n, runners } of MODES) {
    const order = round % 2 === 0 ? runners : [...runners].reverse();
    for (const runner of order) {
      const r = run(runner, mode, n);
      ((raw[mode] ??= {} as Record<Runner, Result[]>)[runner] ??= []).push(r);
      process.stderr.write(`round ${round + 1} ${mode} ${runner}: ${JSON.stringify(r)}\n`);
    }
  }
}

const m = (mode: string, runner: Runner, key: string): number => median((raw[mode]?.[runner] ?? []).map((r) => Number(r[key])));
const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

const rows: string[][] = [];
const row = (
  metric: string,
  w: number,
  otp: number,
  otp1: number,
  ratioOf: (a: number, b: number) => number,
  target: string,
  ok: (r: number) => boolean,
  digits = 2,
): void => {
  const r = ratioOf(w, otp);
  const r1 = ratioOf(w, otp1);
  rows.push([metric, fmt(w, digits), fmt(otp, digits), fmt(otp1, digits), `${fmt(r)}×`, `${fmt(r1)}×`, target, ok(r) ? 'met' : 'missed']);
};
row(
  'restart latency, median (µs)',
  m('restart', 'warden', 'median_us'),
  m('restart', 'otp', 'median_us'),
  m('restart', 'otp-s1', 'median_us'),
  (a, b) => a / b,
  '≤ 0.5× OTP',
  (r) => r <= 0.5,
);
row(
  'restart latency, p99 (µs)',
  m('restart', 'warden', 'p99_us'),
  m('restart', 'otp', 'p99_us'),
  m('restart', 'otp-s1', 'p99_us'),
  (a, b) => a / b,
  '(reported)',
  () => true,
);
row(
  'messages/s, server receiver (millions)',
  m('server-messages', 'warden', 'msgs_per_s') / 1e6,
  m('messages', 'otp', 'msgs_per_s') / 1e6,
  m('messages', 'otp-s1', 'msgs_per_s') / 1e6,
  (a, b) => a / b,
  '≥ 2× OTP',
  (r) => r >= 2,
);
row(
  'messages/s, receive loop (millions)',
  m('messages', 'warden', 'msgs_per_s') / 1e6,
  m('messages', 'otp', 'msgs_per_s') / 1e6,
  m('messages', 'otp-s1', 'msgs_per_s') / 1e6,
  (a, b) => a / b,
  '(reported)',
  () => true,
);
row(
  'call round trip (µs)',
  m('call', 'warden', 'round_trip_us'),
  m('call', 'otp', 'round_trip_us'),
  m('call', 'otp-s1', 'round_trip_us'),
  (a, b) => a / b,
  '≤ 1× OTP',
  (r) => r <= 1,
);
row(
  'bytes per idle process',
  m('memory', 'warden', 'bytes_per_process'),
  m('memory', 'otp', 'bytes_per_process'),
  NaN,
  (a, b) => a / b,
  '≤ 1000 bytes',
  () => m('memory', 'warden', 'bytes_per_process') <= 1000,
  0,
);
row(
  'bytes per idle server',
  m('server-memory', 'warden', 'bytes_per_process'),
  m('memory', 'otp', 'bytes_per_process'),
  NaN,
  (a, b) => a / b,
  '≤ 1000 bytes',
  () => m('server-memory', 'warden', 'bytes_per_process') <= 1000,
  0,
);
row(
  'spawn 1,000,000 processes (ms)',
  m('spawn', 'warden', 'ms'),
  m('spawn', 'otp', 'ms'),
  NaN,
  (a, b) => a / b,
  '(reported)',
  () => true,
  0,
);
row(
  'memory with 1,000,000 processes (MiB)',
  m('spawn', 'warden', 'heap_mib'),
  m('spawn', 'otp', 'total_mib'),
  NaN,
  (a, b) => a / b,
  '< 1024 MiB',
  () => m('spawn', 'warden', 'heap_mib') < 1024,
  0,
);

const header = ['measure', 'Warden', 'OTP', 'OTP +S 1', 'Warden/OTP', 'Warden/OTP +S 1', 'target', ''];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, OTP ${otpVersion}`;
const report = `${table}\n\n${rounds} rounds; ${machine}.\n`;
writeFileSync(`${out}/runtime-results.json`, JSON.stringify({ machine, rounds, raw }, null, 1));
process.stdout.write(report);

/**
 * Per-call overhead of Warden's retry, breaker and timeout policies and their composition,
 * against cockatiel (the same policies and `wrap`) and opossum (breaker, breaker + timeout), in
 * one run. Each variant runs in a fresh child process; the variant order flips every round; we
 * report the median overhead (ns per call above a bare `await fn()` loop measured in the same
 * process) and every round's value.
 *
 *   npm run bench:resilience                 # prints a table and a markdown section
 *   npm run bench:resilience -- --rounds 9   # more rounds
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { ensureBenchPeers } from './support/ensure-peers.ts';

const CALLS = 200_000;
const WARMUP = 50_000;

type Variant = { readonly name: string; readonly make: () => Promise<(fn: () => Promise<number>) => Promise<number>> };

const work = async (): Promise<number> => 1;

const variants: Variant[] = [
  {
    name: 'warden retry',
    make: async () => {
      const { Retry } = await import('../src/resilience/index.ts');
      const p = new Retry({ maxAttempts: 3 });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel retry',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.retry(c.handleAll, { maxAttempts: 2, backoff: new c.ExponentialBackoff() });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'warden breaker',
    make: async () => {
      const { CircuitBreaker } = await import('../src/resilience/index.ts');
      const p = new CircuitBreaker({ trip: { kind: 'consecutive', failures: 5 }, openMs: 10_000 });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel breaker',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.circuitBreaker(c.handleAll, { halfOpenAfter: 10_000, breaker: new c.ConsecutiveBreaker(5) });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'opossum breaker',
    make: async () => {
      const { default: Opossum } = await import('opossum');
      const b = new Opossum(work, { timeout: false, resetTimeout: 10_000 });
      return () => b.fire() as Promise<number>;
    },
  },
  {
    name: 'warden timeout',
    make: async () => {
      const { Timeout } = await import('../src/resilience/index.ts');
      const p = new Timeout({ timeoutMs: 10_000 });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel timeout',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.timeout(10_000, c.TimeoutStrategy.Cooperative);
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel timeout (no abort on return)',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.timeout(10_000, { strategy: c.TimeoutStrategy.Cooperative, abortOnReturn: false });
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'warden breaker+timeout',
    make: async () => {
      const { CircuitBreaker, Timeout, wrap } = await import('../src/resilience/index.ts');
      const p = wrap(new CircuitBreaker({ openMs: 10_000 }), new Timeout({ timeoutMs: 10_000 }));
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'opossum breaker+timeout',
    make: async () => {
      const { default: Opossum } = await import('opossum');
      const b = new Opossum(work, { timeout: 10_000, resetTimeout: 10_000 });
      return () => b.fire() as Promise<number>;
    },
  },
  {
    name: 'warden retry∘breaker∘timeout',
    make: async () => {
      const { CircuitBreaker, Retry, Timeout, wrap } = await import('../src/resilience/index.ts');
      const p = wrap(new Retry({ maxAttempts: 3 }), new CircuitBreaker({ openMs: 10_000 }), new Timeout({ timeoutMs: 10_000 }));
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel retry∘breaker∘timeout',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.wrap(
        c.retry(c.handleAll, { maxAttempts: 2, backoff: new c.ExponentialBackoff() }),
        c.circuitBreaker(c.handleAll, { halfOpenAfter: 10_000, breaker: new c.ConsecutiveBreaker(5) }),
        c.timeout(10_000, c.TimeoutStrategy.Cooperative),
      );
      return (fn) => p.execute(fn);
    },
  },
  {
    name: 'cockatiel retry∘breaker∘timeout (no abort on return)',
    make: async () => {
      const c = await import('cockatiel');
      const p = c.wrap(
        c.retry(c.handleAll, { maxAttempts: 2, backoff: new c.ExponentialBackoff() }),
        c.circuitBreaker(c.handleAll, { halfOpenAfter: 10_000, breaker: new c.ConsecutiveBreaker(5) }),
        c.timeout(10_000, { strategy: c.TimeoutStrategy.Cooperative, abortOnReturn: false }),
      );
      return (fn) => p.execute(fn);
    },
  },
];

async function timeLoop(call: (fn: () => Promise<number>) => Promise<number>, n: number): Promise<number> {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += await call(work);
  const ns = Number(process.hrtime.bigint() - start) / n;
  if (sink !== n) throw new Error('benchmark work returned a wrong value');
  return ns;
}

/** Child: measure one variant; print { name, baselineNs, variantNs }. */
async function child(name: string): Promise<void> {
  const v = variants.find((x) => x.name === name);
  if (v === undefined) throw new Error(`unknown variant ${name}`);
  const call = await v.make();
  const bare = (fn: () => Promise<number>): Promise<number> => fn();
  await timeLoop(bare, WARMUP);
  await timeLoop(call, WARMUP);
  // Interleave baseline and variant measurements; keep the best of three of each.
  const base: number[] = [];
  const ns: number[] = [];
  for (let i = 0; i < 3; i++) {
    base.push(await timeLoop(bare, CALLS));
    ns.push(await timeLoop(call, CALLS));
  }
  process.stdout.write(JSON.stringify({ name, baselineNs: Math.min(...base), variantNs: Math.min(...ns) }));
  process.exit(0); // opossum keeps interval timers
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function parent(rounds: number): void {
  const self = fileURLToPath(import.meta.url);
  const raw = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = spawnSync(process.execPath, [self, '--child', v.name], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${v.name} failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as { baselineNs: number; variantNs: number };
      raw.get(v.name)?.push(Math.max(0, out.variantNs - out.baselineNs));
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  const med = new Map([...raw].map(([k, xs]) => [k, median(xs)]));
  const pairs: [string, string][] = [
    ['warden retry', 'cockatiel retry'],
    ['warden breaker', 'cockatiel breaker'],
    ['warden breaker', 'opossum breaker'],
    ['warden timeout', 'cockatiel timeout'],
    ['warden timeout', 'cockatiel timeout (no abort on return)'],
    ['warden breaker+timeout', 'opossum breaker+timeout'],
    ['warden retry∘breaker∘timeout', 'cockatiel retry∘breaker∘timeout'],
    ['warden retry∘breaker∘timeout', 'cockatiel retry∘breaker∘timeout (no abort on return)'],
  ];
  const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(0));
  const lines: string[] = [];
  lines.push(
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${os.platform()} ${os.arch()}; ${rounds} rounds, ${CALLS.toLocaleString('en')} calls per measurement.`,
  );
  lines.push('');
  lines.push('| Warden | ns/call | peer | ns/call | Warden / peer |');
  lines.push('|---|---:|---|---:|---:|');
  for (const [w, p] of pairs) {
    const a = med.get(w);
    const b = med.get(p);
    lines.push(`| ${w} | ${f(a)} | ${p} | ${f(b)} | ${a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : '-'} |`);
  }
  lines.push('');
  lines.push('Raw per-round overheads (ns/call, in round order):');
  lines.push('');
  for (const [k, xs] of raw) lines.push(`- ${k}: ${xs.map((x) => x.toFixed(0)).join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const args = process.argv.slice(2);
const childAt = args.indexOf('--child');
if (childAt >= 0) {
  await child(args[childAt + 1] ?? '');
} else {
  ensureBenchPeers(); // cockatiel and opossum, before the first child imports them
  const r = args.indexOf('--rounds');
  parent(r >= 0 ? Number(args[r + 1]) : 7);
}

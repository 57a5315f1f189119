/**
 * The dashboard in Chromium (playwright-core, /usr/bin/chromium): time to first paint and to the
 * first data on screen, and update latency (a change in the store → visible in the open page),
 * on a store holding 10,000 runs and 1,000 dead letters, beside the same page on a store holding
 * only what it shows (100 runs, 10 dead letters: the baseline, so the ratio is what the size of
 * the store costs). There is no natural peer (no other dashboard reads this store),
 * so none is measured. Each page load is a fresh browser context (no cache, no cookie); the
 * order of the two stores flips every round; we report the median and every value.
 *
 * - first paint: the page's `first-contentful-paint` (performance API);
 * - runs table: when the runs table first appears (a MutationObserver in the page, installed
 *   before any script of the page runs), i.e. the data fetched and rendered;
 * - update latency: from the store write (a new run; a dead letter discarded as another client
 *   would) to the page showing it, both read on the machine's wall clock (`performance.timeOrigin
 *   + performance.now()` in Node and in the page); it includes the dashboard's poll interval
 *   (`pollMs`, default 500: the expected wait is half of it).
 *
 * The seeded stores are kept in the OS temp directory (warden-bench-dashboard-seed-*.db) and
 * copied for each run, since writing 11,000 durable rows one transaction at a time takes a minute.
 *
 *   npm run bench:dashboard                      # 5 rounds, 10 updates of each kind per store
 *   npm run bench:dashboard -- --rounds 3 --updates 5 --poll-ms 100
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openSqliteStore, type Store } from '../src/store/index.ts';
import { DeadLetterQueue } from '../src/durable/index.ts';
import { startDashboard, type DashboardServer } from '../src/dashboard/index.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, updates: { type: 'string' }, 'poll-ms': { type: 'string' } }, strict: true });
const rounds = Number(values.rounds ?? 5);
const updates = Number(values.updates ?? 10);
const pollMs = Number(values['poll-ms'] ?? 500);
const RUNS = 10_000;
const LETTERS = 1_000;

/** The i-th of `updates` offsets, spread evenly over one poll interval (golden-ratio steps). */
const spread = (i: number): number => ((i * 0.618_033_988_75) % 1) * pollMs;
const now = (): number => performance.timeOrigin + performance.now();
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function seed(store: Store, runs: number, letters: number): Promise<void> {
  const at = Date.now() - runs;
  for (let i = 0; i < runs; i++) {
    await store.createRun({
      id: `seed-run-${String(i).padStart(5, '0')}`,
      name: ['digest', 'mailer', 'importer'][i % 3]!,
      input: { i },
      traceId: `t${i}`,
      at: at + i,
    });
  }
  const dlq = new DeadLetterQueue(store);
  for (let i = 0; i < letters; i++) {
    await dlq.add({ source: 'importer', input: { file: `f${i}.csv` }, error: new SyntaxError(`unexpected token at row ${i}`), runId: `seed-run-${i}` });
  }
}

/** Installed before the page's own scripts: when the runs table first appears, and when a watched text appears or goes. */
const OBSERVER = `
  window.__bench = { tableAt: undefined, watch: undefined, seenAt: undefined };
  new MutationObserver(() => {
    const b = window.__bench;
    if (b.tableAt === undefined && document.querySelector('[data-testid=runs-table]')) b.tableAt = performance.now();
    if (b.watch !== undefined && b.seenAt === undefined && document.body.textContent.includes(b.watch.text) === b.watch.present) {
      b.seenAt = performance.timeOrigin + performance.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

interface Load {
  readonly firstPaintMs: number;
  readonly runsTableMs: number;
}

async function load(browser: Browser, dashboard: DashboardServer): Promise<Load> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(OBSERVER);
    await page.goto(`${dashboard.url}#/runs`);
    await page.getByTestId('runs-table').waitFor();
    return await page.evaluate(() => ({
      firstPaintMs: performance.getEntriesByName('first-contentful-paint')[0]!.startTime,
      runsTableMs: (globalThis as unknown as { __bench: { tableAt: number } }).__bench.tableAt,
    }));
  } finally {
    await context.close();
  }
}

/**
 * Ms from `change()` to the page showing (or no longer showing) `text`. The change is made
 * `offsetMs` after the previous one was seen, so that the changes fall at spread-out points of
 * the dashboard's poll interval rather than all just after a reading.
 */
async function latency(page: Page, text: string, present: boolean, offsetMs: number, change: () => Promise<void>): Promise<number> {
  await page.evaluate(
    (w) => {
      (globalThis as unknown as { __bench: { watch: unknown; seenAt: unknown } }).__bench.watch = w;
      (globalThis as unknown as { __bench: { seenAt: unknown } }).__bench.seenAt = undefined;
    },
    { text, present },
  );
  await new Promise((resolve) => setTimeout(resolve, offsetMs)); // spread the changes over the poll interval
  const before = now();
  await change();
  await page.waitForFunction(() => (globalThis as unknown as { __bench: { seenAt?: number } }).__bench.seenAt !== undefined, undefined, { timeout: 30_000 });
  const seenAt = await page.evaluate(() => (globalThis as unknown as { __bench: { seenAt: number } }).__bench.seenAt);
  return seenAt - before;
}

interface Setup {
  readonly name: string;
  readonly store: Store;
  readonly dashboard: DashboardServer;
}

const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-dashboard-'));
const setups: Setup[] = [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
try {
  for (const [name, runs, letters] of [
    ['100 runs, 10 dead letters', 100, 10],
    [`${RUNS.toLocaleString('en')} runs, ${LETTERS.toLocaleString('en')} dead letters`, RUNS, LETTERS],
  ] as const) {
    const seeded = join(os.tmpdir(), `warden-bench-dashboard-seed-${runs}-${letters}.db`);
    if (!existsSync(seeded)) {
      const t0 = performance.now();
      const fresh = `${seeded}.${process.pid}`;
      const seeding = await openSqliteStore({ path: fresh });
      await seed(seeding, runs, letters);
      await seeding.close();
      renameSync(fresh, seeded);
      process.stderr.write(`${name}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    copyFileSync(seeded, join(dir, `${runs}.db`));
    const store = await openSqliteStore({ path: join(dir, `${runs}.db`) });
    setups.push({ name, store, dashboard: await startDashboard({ store, pollMs }) });
  }

  for (const s of setups) await load(browser, s.dashboard); // warm-up: the server reads the page's files once
  const loads = new Map<string, Load[]>(setups.map((s) => [s.name, []]));
  const newRun = new Map<string, number[]>(setups.map((s) => [s.name, []]));
  const discarded = new Map<string, number[]>(setups.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? setups : [...setups].reverse();
    for (const s of order) {
      const l = await load(browser, s.dashboard);
      loads.get(s.name)!.push(l);
      process.stderr.write(`round ${round + 1} ${s.name}: first paint ${l.firstPaintMs.toFixed(1)} ms, runs table ${l.runsTableMs.toFixed(1)} ms\n`);
    }
  }

  for (const s of setups) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(OBSERVER);
    await page.goto(`${s.dashboard.url}#/runs`);
    await page.getByTestId('runs-table').waitFor();
    for (let i = 0; i < updates; i++) {
      const id = `bench-new-run-${i}`;
      newRun
        .get(s.name)!
        .push(
          await latency(page, id, true, spread(i), () =>
            s.store.createRun({ id, name: 'digest', input: null, traceId: 't', at: Date.now() }).then(() => undefined),
          ),
        );
    }
    const dlq = new DeadLetterQueue(s.store);
    for (let i = 0; i < updates; i++) await dlq.add({ source: 'bench', input: { i }, error: new Error(`bench letter ${i}`) });
    await page.goto(`${s.dashboard.origin}/#/dlq`);
    await page.getByTestId('dlq-table').waitFor();
    for (let i = 0; i < updates; i++) {
      const [oldest] = await s.store.listDeadLetters({ status: 'pending', limit: 1 });
      discarded.get(s.name)!.push(await latency(page, oldest!.id, false, spread(i), () => dlq.discard(oldest!.id, { by: 'bench' }).then(() => undefined)));
    }
    await context.close();
    process.stderr.write(`${s.name}: update latency measured\n`);
  }

  const base = setups[0]!.name;
  const fmt = (x: number): string => x.toFixed(1);
  console.log(
    '| store | first paint (ms, median) | runs table on screen (ms, median) | × 100 runs | new run → visible (ms, median) | dead letter discarded → gone (ms, median) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const s of setups) {
    const l = loads.get(s.name)!;
    const table = median(l.map((x) => x.runsTableMs));
    const baseTable = median(loads.get(base)!.map((x) => x.runsTableMs));
    console.log(
      `| ${s.name} | ${fmt(median(l.map((x) => x.firstPaintMs)))} | ${fmt(table)} | ${(table / baseTable).toFixed(2)}× | ${fmt(median(newRun.get(s.name)!))} | ${fmt(median(discarded.get(s.name)!))} |`,
    );
  }
  console.log(
    `\n${rounds} page loads per store; ${updates} updates of each kind; pollMs ${pollMs}; Chromium ${browser.version()}; Node ${process.version}; ${os.cpus().length} cores.\n\nRaw values:\n`,
  );
  for (const s of setups) {
    console.log(
      `- ${s.name}: first paint ${loads
        .get(s.name)!
        .map((x) => fmt(x.firstPaintMs))
        .join(', ')}; runs table ${loads
        .get(s.name)!
        .map((x) => fmt(x.runsTableMs))
        .join(', ')}`,
    );
    console.log(`  new run → visible ${newRun.get(s.name)!.map(fmt).join(', ')}; discarded → gone ${discarded.get(s.name)!.map(fmt).join(', ')}`);
  }
} finally {
  await browser.close();
  for (const s of setups) {
    await s.dashboard.close();
    await s.store.close();
  }
  rmSync(dir, { recursive: true, force: true });
}

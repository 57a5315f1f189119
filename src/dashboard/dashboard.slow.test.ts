/**
 * The dashboard in a real browser (Chromium through playwright-core) over a real store, with a
 * real durable host serving runs and a real supervision tree publishing its snapshots: open a
 * run and read its journal; approve a pending approval and watch the run resume and complete;
 * replay a dead letter and watch the host replay it; crash a child and watch its restart appear
 * on the page, all without a reload. Screenshots of the main views are taken on the way (written
 * to docs/images/ with WARDEN_SAVE_SCREENSHOTS=1, else to a temporary directory).
 *
 *   WARDEN_SAVE_SCREENSHOTS=1 npx vitest run --config vitest.slow.config.ts src/dashboard/dashboard.slow.test.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, type ProcessContext } from '../runtime/index.ts';
import { startSupervisor, supervisor, whichChildren, worker, type Caller } from '../supervisor/index.ts';
import { Budget, CircuitBreaker } from '../resilience/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { DurableHost, defineRun, publishHostSnapshots, type HostSnapshotPublisher } from '../durable/index.ts';
import { waitFor } from '../testing/index.ts';
import { defineSchedule, openScheduler, type SlotInput } from '../scheduler/index.ts';
import { startDashboard, type DashboardServer } from './index.ts';
import { dashboardProviders } from './providers.ts';

const CHROMIUM = '/usr/bin/chromium';
const repo = new URL('../..', import.meta.url).pathname;

const mailer = defineRun('mailer', async (run, input: { to: string }) => {
  const body = await run.step('compose', () => `hello ${input.to}`);
  const checked = await run.step('check-recipient', () => ({ ok: true, domain: input.to.split('@')[1] }));
  await run.effect('send-mail', () => ({ messageId: `m-${input.to}` }), { irreversible: true });
  return { body, checked };
});
let failuresLeft = 1;
const importer = defineRun('importer', async (run, input: { file: string }) =>
  run.step('parse', () => {
    if (failuresLeft-- > 0) throw new SyntaxError(`unexpected token in ${input.file}`);
    return { rows: 42 };
  }),
);
const digest = defineRun('digest', async (run, input: { day: number }) => run.step('summarise', () => `day ${input.day}: all quiet`));

const morning = defineRun('morning-digest', async (run, slot: SlotInput<null>) => run.step('summarise', () => `digest for ${slot.slotTime}`));

const crashOnPoke = worker(async (ctx: ProcessContext) => {
  await ctx.receive((m) => m === 'poke');
  throw new Error('poked');
});
const idle = worker(async (ctx: ProcessContext) => {
  await ctx.receive(() => false);
});

describe('the dashboard in Chromium', () => {
  let dir: string;
  let shots: string;
  let store: Store;
  let rt: Runtime;
  let host: DurableHost;
  let publisher: HostSnapshotPublisher;
  let dashboard: DashboardServer;
  let browser: Browser;
  let page: Page;
  let mailerRun: string;
  let pageErrors: string[];

  // Playwright's innerText (the text as laid out: table cells apart), not the DOM property.
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
  const shownText = (testId: string): Promise<string> => page.getByTestId(testId).innerText();
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-dashboard-'));
    shots = process.env.WARDEN_SAVE_SCREENSHOTS === '1' ? join(repo, 'docs', 'images') : join(dir, 'shots');
    mkdirSync(shots, { recursive: true });
    store = await openSqliteStore({ path: join(dir, 'warden.db') });
    host = new DurableHost({ store, runs: [mailer, importer, digest, morning], owner: 'worker-1', pollMs: 100 });
    host.serve();
    for (let day = 1; day <= 3; day++) await (await host.start(digest, { day })).result;
    mailerRun = (await host.start(mailer, { to: 'ceo@example.com' })).id;
    await (await host.start(importer, { file: 'orders.csv' })).result;
    await waitFor(async () => (await store.listApprovals({ status: 'pending' })).length === 1, 'the mailer waits for approval');

    rt = new Runtime();
    const root = await startSupervisor(rt, {
      strategy: 'one_for_one',
      intensity: 10,
      periodSeconds: 5,
      children: [
        { id: 'fetcher', start: crashOnPoke },
        {
          id: 'departments',
          start: supervisor({
            strategy: 'one_for_all',
            children: [
              { id: 'research', start: idle },
              { id: 'writer', start: idle },
            ],
          }),
        },
      ],
    });
    const openai = new CircuitBreaker({ name: 'openai', trip: { kind: 'consecutive', failures: 2 }, isFailure: () => true });
    for (let i = 0; i < 2; i++) await openai.execute(() => Promise.reject(new Error('529 overloaded'))).catch(() => undefined);
    const budget = new Budget({ scope: 'company', limits: { usd: 5, tokens: 200_000 } });
    budget.reserve({ usd: 0.5 }).commit({ usd: 0.42, tokens: 12_800, steps: 3 });
    publisher = await publishHostSnapshots({
      store,
      host: 'worker-1',
      runtime: rt,
      trees: [{ name: 'company', supervisor: root }],
      breakers: [openai, new CircuitBreaker({ name: 'anthropic' })],
      budgets: [budget, budget.child({ scope: 'research', limits: { usd: 2 } })],
      health: () => ({ liveness: 'ok', readiness: 'ok' }),
      alerts: () => [{ kind: 'spend_rate', severity: 'warning', subject: 'company', message: 'USD 0.42 in 10 min, over 0.40' }],
      intervalMs: 200,
    });
    (globalThis as { poke?: () => Promise<void> }).poke = async () => {
      const [fetcher] = await whichChildren(rt as Caller, root);
      rt.send(fetcher!.pid as never, 'poke');
    };

    await openScheduler({ host, schedules: [defineSchedule({ id: 'morning-digest', run: morning, cron: '0 7 * * 1-5', input: null })] });
    dashboard = await startDashboard({ store, pollMs: 100, providers: await dashboardProviders() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await publisher?.stop();
    rt?.killAll();
    await host?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the hosts view with the tree, breakers and budgets, and shows a child restart live', async () => {
    await page.goto(dashboard.url);
    await page.getByTestId('host-worker-1').waitFor();
    await page.getByTestId('node-fetcher').waitFor();
    await page.getByTestId('node-research').waitFor();
    expect(await shownText('breakers')).toMatch(/openai\s+open until/);
    expect(await shownText('budgets')).toMatch(/company\s+0\.4200 \/ 5/);
    expect(page.url()).not.toContain('token='); // taken out of the address bar; the cookie carries it
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    await page.evaluate(() => {
      (globalThis as { sameDocument?: boolean }).sameDocument = true;
    });
    expect(await page.getByTestId('restarts-fetcher').count()).toBe(0);

    await (globalThis as { poke?: () => Promise<void> }).poke!();
    await page.getByTestId('restarts-fetcher').filter({ hasText: 'restarts: 1' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument)).toBe(true); // no reload
    await page.getByTestId('plot-restarts').locator('canvas').waitFor();
    await shot('hosts');
  });

  it('lists runs, filters them, and opens one: its journal step by step, effects, approvals and trace id', async () => {
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('runs-table').waitFor();
    expect(await page.getByTestId('run-link').count()).toBe(5);
    await page.getByTestId('runs-status').selectOption('failed');
    await page.getByTestId('run-link').first().waitFor();
    await waitFor(async () => (await page.getByTestId('run-link').count()) === 1, 'only the failed run is listed');
    await page.getByTestId('runs-status').selectOption('');
    await waitFor(async () => (await page.getByTestId('run-link').count()) === 5, 'every run is listed again');
    await shot('runs');
    await page.getByTestId('run-link').filter({ hasText: mailerRun }).click();
    await page.getByTestId('run-detail').waitFor();
    expect(await shownText('run-status')).toBe('suspended');
    const journal = await shownText('journal');
    expect(journal).toMatch(/compose[\s\S]*hello ceo@example.com/);
    expect(journal).toMatch(/check-recipient[\s\S]*example.com/);
    expect(await shownText('run-trace')).toBe((await store.getRun(mailerRun))!.traceId);
    await shot('run');
  });

  it('approves the pending approval with who and why; the run resumes and completes, live', async () => {
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approvals-table').waitFor();
    await page.getByTestId('decide-by').fill('alice');
    await page.getByTestId('decide-reason').fill('recipient checked');
    await shot('approvals');
    await page.getByTestId('approve').click();
    await page.getByTestId('no-approvals').waitFor({ timeout: 15_000 });
    const [approval] = await store.listApprovals({ runId: mailerRun });
    expect(approval).toMatchObject({ status: 'approved', decidedBy: 'alice', decisionReason: 'recipient checked' });
    expect(await store.listAudit({ subject: `approval:${approval!.id}` })).toMatchObject([{ actor: 'alice', action: 'approval.approved' }]);
    await page.goto(`${dashboard.origin}/#/runs/${mailerRun}`);
    await page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 15_000 });
    expect(await shownText('effects')).toMatch(/send-mail\s+done/);
  });

  it('replays a dead letter; the host replays it and the page shows it replayed, live', async () => {
    await page.getByTestId('nav-dlq').click();
    await page.getByTestId('dlq-table').waitFor();
    await page.getByTestId('dlq-link').first().click();
    await page.getByTestId('dlq-detail').waitFor();
    expect(await shownText('dlq-letter-status')).toBe('pending');
    await shot('dead-letter');
    await page.getByTestId('replay').click();
    await page.getByTestId('dlq-letter-status').filter({ hasText: 'replayed' }).waitFor({ timeout: 15_000 });
    const [letter] = await store.listDeadLetters({ status: 'replayed' });
    expect(letter!.replayedAs).toBeDefined();
    await waitFor(async () => (await store.getRun(letter!.replayedAs!))?.status === 'completed', 'the replay run completes');
    expect(pageErrors).toEqual([]);
  });

  it('shows the schedules with their next slot, and the alerts hosts publish', async () => {
    await page.getByTestId('nav-schedules').click();
    await page.getByTestId('schedules-schedules').waitFor();
    expect(await shownText('schedules-schedules')).toMatch(/morning-digest/);
    await shot('schedules');
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alerts').waitFor();
    expect(await shownText('alerts')).toMatch(/worker-1\s+spend_rate\s+warning\s+company/);
    expect(pageErrors).toEqual([]);
  });
});

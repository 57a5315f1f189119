/**
 * Metrics from the event stream, scraped over real HTTP from the Prometheus endpoint and parsed:
 * restarts with MTBF and MTTR (the health layer's figures) after a child crashed twice on the
 * virtual clock, breaker state, budget spend and remaining, tokens and cost per model from real
 * calls to the simulated server, durable steps and runs, mailboxes and queue depths. The endpoint
 * binds loopback and answers only its path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineRun } from '../src/durable/index.ts';
import { instrument, servePrometheus, type PrometheusEndpoint } from '../src/otel/index.ts';
import { Budget } from '../src/resilience/index.ts';
import { Runtime, VirtualClock, settle, type ExitReason, type Pid, type ProcessContext } from '../src/runtime/index.ts';
import { startSupervisor, whichChildren, worker } from '../src/supervisor/index.ts';
import { SIM_MODEL_PRICING, startDurableHarness, startSimHarness } from '../src/testing/index.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The text exposition format, sample lines only: `name{label="value",...} number`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(endpoint: PrometheusEndpoint): Promise<Sample[]> {
  const res = await fetch(endpoint.url);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const idle = worker(async (ctx: ProcessContext) => {
  for (;;) {
    const m = await ctx.receive();
    if (typeof m === 'object' && m !== null && 'exitWith' in m) ctx.exit((m as { exitWith: ExitReason }).exitWith);
  }
});

describe('the Prometheus endpoint', () => {
  it('serves restarts, MTBF and MTTR, mailboxes and queues', async () => {
    const prometheus = await servePrometheus({ port: 0 });
    cleanups.push(() => prometheus.close());
    expect(prometheus.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    const off = instrument(rt.events, { meterProvider: prometheus.meterProvider, traces: false, runtime: rt, clock, queues: { inbox: () => 3 } });
    cleanups.push(() => off.dispose());
    const sup = await startSupervisor(rt, { name: 'root', intensity: 5, periodSeconds: 3600, children: [{ id: 'fetcher', start: idle }] });
    const crash = async (): Promise<void> => {
      rt.send((await whichChildren(rt, sup))[0]?.pid as Pid, { exitWith: 'boom' });
      await settle();
    };
    await clock.advance(10_000);
    await crash();
    await clock.advance(30_000);
    await crash();
    await clock.advance(20_000);
    const samples = await scrape(prometheus);
    const child = { warden_supervisor_name: 'root', warden_child_id: 'fetcher' };
    expect(value(samples, 'warden_supervisor_restarts_total', child)).toBe(2);
    expect(value(samples, 'warden_supervisor_exits_total', { ...child, warden_exit_abnormal: 'true' })).toBe(2);
    // Up 10 s + 30 s + 20 s over two failures; restarted at once.
    expect(value(samples, 'warden_child_mtbf', child)).toBe(30);
    expect(value(samples, 'warden_child_mttr', child)).toBe(0);
    expect(value(samples, 'warden_queue_depth', { warden_queue: 'inbox' })).toBe(3);
    expect(value(samples, 'warden_runtime_processes')).toBe(rt.processCount);
    expect(samples.some((s) => s.name === 'warden_runtime_mailbox_messages')).toBe(true);
  });

  it('serves tokens and cost per model, breaker state and budgets from real model calls', async () => {
    const prometheus = await servePrometheus({ port: 0 });
    cleanups.push(() => prometheus.close());
    const sim = await startSimHarness({ rules: [{ match: { path: '/chat/completions' }, fault: { kind: 'status', status: 503 } }] });
    cleanups.push(() => sim.close());
    const budget = new Budget({ scope: 'team', limits: { usd: 1 }, pricing: SIM_MODEL_PRICING, bus: sim.bus });
    const off = instrument(sim.bus, { meterProvider: prometheus.meterProvider, traces: false, budgets: [budget] });
    cleanups.push(() => off.dispose());
    const client = sim.client({
      models: [sim.openai(), sim.anthropic()],
      retry: { maxAttempts: 1 },
      breaker: { trip: { kind: 'consecutive', failures: 1 }, openMs: 60_000 },
      budget,
    });
    const a = await client.complete({ messages: [{ role: 'user', content: 'one' }], maxOutputTokens: 32 });
    const b = await client.complete({ messages: [{ role: 'user', content: 'two' }], maxOutputTokens: 32 });
    const samples = await scrape(prometheus);
    const large = { gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'sim-large' };
    expect(value(samples, 'gen_ai_client_token_usage_sum', { ...large, gen_ai_token_type: 'input' })).toBe(a.usage.inputTokens + b.usage.inputTokens);
    expect(value(samples, 'gen_ai_client_token_usage_sum', { ...large, gen_ai_token_type: 'output' })).toBe(a.usage.outputTokens + b.usage.outputTokens);
    expect(value(samples, 'warden_llm_cost_total', large)).toBeCloseTo((a.costUsd ?? 0) + (b.costUsd ?? 0), 10);
    expect(value(samples, 'gen_ai_client_operation_duration_count', { gen_ai_request_model: 'sim-small', error_type: 'MODEL_UNAVAILABLE' })).toBe(1);
    expect(value(samples, 'warden_breaker_state', { warden_breaker_name: 'openai:sim-small' })).toBe(2);
    expect(value(samples, 'warden_budget_spent', { warden_budget_scope: 'team', warden_budget_unit: 'usd' })).toBeCloseTo(budget.spending.usd, 10);
    expect(value(samples, 'warden_budget_remaining', { warden_budget_scope: 'team', warden_budget_unit: 'usd' })).toBeCloseTo(1 - budget.spending.usd, 10);
    expect(budget.spending.usd).toBeGreaterThan(0);
  });

  it('serves durable steps by outcome and runs by status', async () => {
    const prometheus = await servePrometheus({ port: 0 });
    cleanups.push(() => prometheus.close());
    const h = await startDurableHarness();
    cleanups.push(() => h.close());
    const off = instrument(h.bus, { meterProvider: prometheus.meterProvider, traces: false });
    cleanups.push(() => off.dispose());
    let fail = true;
    const def = defineRun('twice', async (run) => {
      await run.step('a', () => 1);
      return run.step('b', () => {
        if (fail) throw new Error('down');
        return 2;
      });
    });
    const host = h.host([def], { deadLetterOnFailure: false });
    const { id, result } = await host.start(def, null);
    await result;
    fail = false;
    await (await host.resume(id)).result;
    const samples = await scrape(prometheus);
    expect(value(samples, 'warden_durable_steps_total', { warden_step_kind: 'step', warden_step_outcome: 'ok' })).toBe(2);
    expect(value(samples, 'warden_durable_steps_total', { warden_step_kind: 'step', warden_step_outcome: 'error' })).toBe(1);
    expect(value(samples, 'warden_durable_steps_total', { warden_step_outcome: 'replayed' })).toBe(1);
    for (const [status, n] of [
      ['started', 1],
      ['failed', 1],
      ['resumed', 1],
      ['completed', 1],
    ] as const) {
      expect(value(samples, 'warden_durable_runs_total', { warden_run_status: status })).toBe(n);
    }
  });

  it('answers only its path, and refuses a bad port naming it', async () => {
    const prometheus = await servePrometheus({ port: 0, path: '/scrape' });
    cleanups.push(() => prometheus.close());
    expect((await fetch(prometheus.url.replace('/scrape', '/other'))).status).toBe(404);
    expect((await fetch(prometheus.url)).status).toBe(200);
    await expect(servePrometheus({ port: 70_000 })).rejects.toThrow(/port.*70000/);
    await expect(servePrometheus({ path: 'metrics' })).rejects.toThrow(/path/);
  });
});

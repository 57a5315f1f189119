/**
 * Spans built from the event stream, read back with the OpenTelemetry SDK's in-memory exporter:
 * a restarted child's new incarnation links to the one that crashed; a resumed durable run stays
 * in its trace with its replayed steps marked and unpaid; a dead letter's replay links to the
 * run it replays; a real model call to the simulated server carries the GenAI attributes, its
 * retry and fallback have spans of their own, and a key in an error never reaches an attribute.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRun } from '../src/durable/index.ts';
import { Retry } from '../src/resilience/index.ts';
import { instrument, runSpanId } from '../src/otel/index.ts';
import { Runtime, VirtualClock, settle, type Disposable, type EventBus, type ExitReason, type Pid, type ProcessContext } from '../src/runtime/index.ts';
import { startSupervisor, whichChildren, worker } from '../src/supervisor/index.ts';
import { startDurableHarness, startSimHarness } from '../src/testing/index.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Spans of `bus` go to an in-memory exporter. */
function traced(bus: EventBus): { spans: () => ReadableSpan[]; named: (prefix: string) => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const off: Disposable = instrument(bus, { tracerProvider: provider, metrics: false });
  cleanups.push(
    () => off.dispose(),
    () => provider.shutdown(),
  );
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return { spans, named: (prefix) => spans().filter((s) => s.name.startsWith(prefix)) };
}

const idle = worker(async (ctx: ProcessContext) => {
  for (;;) {
    const m = await ctx.receive();
    if (typeof m === 'object' && m !== null && 'exitWith' in m) ctx.exit((m as { exitWith: ExitReason }).exitWith);
  }
});

describe('supervised children', () => {
  it("links a restarted child's new incarnation to the one that crashed", async () => {
    const rt = new Runtime({ clock: new VirtualClock() });
    const { named } = traced(rt.events);
    const sup = await startSupervisor(rt, { name: 'root', intensity: 5, children: [{ id: 'fetcher', start: idle }] });
    const first = (await whichChildren(rt, sup))[0]?.pid as Pid;
    rt.send(first, { exitWith: 'boom' });
    await settle();
    const second = (await whichChildren(rt, sup))[0]?.pid as Pid;
    rt.send(second, { exitWith: 'normal' });
    await settle();
    const [crashed] = named('start fetcher');
    const [restarted] = named('restart fetcher');
    expect(crashed?.status.code).toBe(2); // ERROR
    expect(crashed?.attributes).toMatchObject({
      'warden.supervisor.name': 'root',
      'warden.child.id': 'fetcher',
      'warden.exit.abnormal': true,
      'warden.exit.reason': 'boom',
    });
    expect(restarted?.attributes).toMatchObject({ 'warden.child.restart': true, 'warden.child.pid': String(second) });
    expect(restarted?.links).toHaveLength(1);
    expect(restarted?.links[0]?.context).toMatchObject({ traceId: crashed?.spanContext().traceId, spanId: crashed?.spanContext().spanId });
    expect(restarted?.links[0]?.attributes).toEqual({ 'warden.link.reason': 'restart' });
    expect(restarted?.spanContext().traceId).not.toBe(crashed?.spanContext().traceId);
  });
});

describe('durable runs', () => {
  it('keeps a resumed run in its trace, its journaled steps marked replayed and not run again', async () => {
    const h = await startDurableHarness();
    cleanups.push(() => h.close());
    const { named, spans } = traced(h.bus);
    let failOnce = true;
    const def = defineRun('report', async (run) => {
      await run.step('fetch', () => 'data');
      await run.effect('send', () => 'sent');
      return run.step('summarise', () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('the summariser is down');
        }
        return 'summary';
      });
    });
    const host = h.host([def], { deadLetterOnFailure: false });
    const { id, result } = await host.start(def, null);
    expect((await result).status).toBe('failed');
    const again = await host.resume(id);
    expect((await again.result).status).toBe('completed');
    const traceId = (await h.store.getRun(id))?.traceId;
    const executions = named('run report');
    expect(executions.map((s) => s.attributes['warden.run.outcome'])).toEqual(['failed', 'completed']);
    for (const s of executions) {
      expect(s.spanContext().traceId).toBe(traceId);
      expect(s.parentSpanContext?.spanId).toBe(runSpanId(id));
    }
    expect(executions[1]?.attributes).toMatchObject({ 'warden.run.resumed': true, 'warden.run.epoch': 2 });
    expect(executions[1]?.links[0]?.context.spanId).toBe(executions[0]?.spanContext().spanId);
    const [firstRun, secondRun] = executions.map((e) => spans().filter((s) => s.parentSpanContext?.spanId === e.spanContext().spanId));
    expect(firstRun?.map((s) => [s.name, s.attributes['warden.step.replayed'] ?? false, s.status.code])).toEqual([
      ['step fetch', false, 0],
      ['effect send', false, 0],
      ['step summarise', false, 2],
    ]);
    // The summarise step's failure was dropped to retry it: fetch and send come from the journal.
    expect(secondRun?.map((s) => [s.name, s.attributes['warden.step.replayed'] ?? false])).toEqual([
      ['step fetch', true],
      ['step send', true],
      ['step summarise', false],
    ]);
    for (const s of secondRun ?? []) expect(s.spanContext().traceId).toBe(traceId);
  });

  it('gives a retried step one span per attempt, failed ones with their error', async () => {
    const h = await startDurableHarness();
    cleanups.push(() => h.close());
    const { named, spans } = traced(h.bus);
    let calls = 0;
    const def = defineRun('flaky', async (run) =>
      run.step(
        'fetch',
        () => {
          if (++calls < 3) throw Object.assign(new Error(`timeout ${calls}`), { code: 'ETIMEDOUT' });
          return 'data';
        },
        { retry: new Retry({ maxAttempts: 3, baseDelayMs: 100, clock: h.clock, bus: h.bus, retryOn: 'all' }) },
      ),
    );
    // The retry's waits run on the virtual clock: move it by each delay once the wait has begun.
    h.bus.on('retry.attempt_failed', (e) => {
      if (e.delayMs !== undefined) void settle().then(() => h.clock.advance(e.delayMs as number));
    });
    const { result } = await h.host([def]).start(def, null);
    expect((await result).status).toBe('completed');
    const [step] = named('step fetch');
    const attempts = spans().filter((s) => s.parentSpanContext?.spanId === step?.spanContext().spanId);
    expect(attempts.map((s) => [s.name, s.attributes['warden.retry'], s.status.code, s.status.message ?? ''])).toEqual([
      ['attempt 1', false, 2, 'timeout 1'],
      ['attempt 2', true, 2, 'timeout 2'],
      ['attempt 3', true, 0, ''],
    ]);
    expect(attempts[0]?.attributes['error.type']).toBe('ETIMEDOUT');
  });

  it("spans an approval wait from the request to the decision, in the run's trace", async () => {
    const h = await startDurableHarness();
    cleanups.push(() => h.close());
    const { named } = traced(h.bus);
    const def = defineRun('payout', async (run) => run.effect('wire money', () => 'sent', { irreversible: true }));
    const host = h.host([def]);
    const { id, result } = await host.start(def, null);
    expect(await result).toMatchObject({ status: 'suspended', reason: 'approval' });
    await h.clock.advance(60_000);
    const completed = h.bus.next('run.completed');
    await host.approvals.approve(`${id}:0`, { by: 'ada', reason: 'checked the invoice' });
    await completed;
    const [wait] = named('approval wire money');
    const traceId = (await h.store.getRun(id))?.traceId;
    expect(wait?.spanContext().traceId).toBe(traceId);
    expect(wait?.parentSpanContext?.spanId).toBe(runSpanId(id));
    expect(wait?.attributes).toMatchObject({ 'warden.approval.decision': 'approved', 'warden.approval.by': 'ada', 'warden.approval.action': 'wire money' });
    expect(wait?.duration).toEqual([60, 0]);
    expect(named('run payout').map((s) => s.attributes['warden.run.outcome'])).toEqual(['suspended', 'completed']);
  });

  it("links a dead letter's replay to the run it replays", async () => {
    const h = await startDurableHarness();
    cleanups.push(() => h.close());
    const { named } = traced(h.bus);
    let fail = true;
    const def = defineRun('charge', async (run) =>
      run.step('charge', () => {
        if (fail) throw new Error('card declined');
        return 'ok';
      }),
    );
    const host = h.host([def]);
    const { id, result } = await host.start(def, { amount: 5 });
    expect((await result).status).toBe('failed');
    const [letter] = await host.deadLetters.list();
    fail = false;
    const completed = h.bus.next('run.completed');
    const replay = await host.deadLetters.replay(letter?.id as string);
    await completed;
    const original = await h.store.getRun(id);
    const replayed = await h.store.getRun(replay.runId as string);
    expect(replayed?.status).toBe('completed');
    const spansOf = (runId: string) => named('run charge').filter((s) => s.attributes['warden.run.id'] === runId);
    const [replaySpan] = spansOf(replay.runId as string);
    const [originalSpan] = spansOf(id);
    expect(replaySpan?.spanContext().traceId).toBe(replayed?.traceId);
    expect(replaySpan?.spanContext().traceId).not.toBe(original?.traceId);
    expect(replaySpan?.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ traceId: original?.traceId, spanId: runSpanId(id) }),
        attributes: { 'warden.link.reason': 'dlq_replay', 'warden.dlq.id': letter?.id },
      }),
    ]);
    // The link names the original run's span: the parent of its executions.
    expect(originalSpan?.parentSpanContext?.spanId).toBe(runSpanId(id));
  });
});

describe('model calls', () => {
  it('carry the GenAI attributes on a real call to the simulated server', async () => {
    const sim = await startSimHarness();
    cleanups.push(() => sim.close());
    const { named } = traced(sim.bus);
    const client = sim.client();
    const answer = await client.complete({ messages: [{ role: 'user', content: 'hello' }], maxOutputTokens: 64 }, { runId: 'run-1' });
    const [call] = named('chat sim-small');
    expect(call?.kind).toBe(2); // CLIENT
    expect(call?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'sim-small',
      'gen_ai.response.model': answer.model,
      'gen_ai.usage.input_tokens': answer.totalUsage.inputTokens,
      'gen_ai.usage.output_tokens': answer.totalUsage.outputTokens,
      'gen_ai.response.finish_reasons': [answer.finishReason],
      'warden.llm.cost_usd': answer.costUsd,
      'warden.llm.level': 'primary',
      'warden.run.id': 'run-1',
    });
    expect(answer.totalUsage.inputTokens).toBeGreaterThan(0);
    expect(answer.costUsd).toBeGreaterThan(0);
    const [attempt] = named('attempt 1 openai:sim-small');
    expect(attempt?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(attempt?.attributes).toMatchObject({ 'warden.retry': false, 'gen_ai.usage.input_tokens': answer.usage.inputTokens });
  });

  it('have a span per retry and per fallback', async () => {
    const sim = await startSimHarness({
      rules: [{ match: { path: '/chat/completions' }, fault: { kind: 'status', status: 503 } }],
    });
    cleanups.push(() => sim.close());
    const { named } = traced(sim.bus);
    const client = sim.client({
      models: [sim.openai(), sim.anthropic()],
      retry: { maxAttempts: 2, baseDelayMs: 10 },
      breaker: { trip: { kind: 'consecutive', failures: 2 }, openMs: 1_000 },
    });
    const answer = await client.complete({ messages: [{ role: 'user', content: 'hello' }], maxOutputTokens: 32 });
    expect(answer.level).toBe('fallback');
    expect(named('attempt').map((s) => [s.name, s.attributes['warden.retry'], s.status.code])).toEqual([
      ['attempt 1 openai:sim-small', false, 2],
      ['attempt 2 openai:sim-small', true, 2],
      ['attempt 3 anthropic:sim-large', false, 0],
    ]);
    expect(named('fallback').map((s) => s.name)).toEqual(['fallback openai:sim-small → anthropic:sim-large']);
    expect(named('breaker').map((s) => s.name)).toEqual(['breaker openai:sim-small closed → open']);
    const [call] = named('chat');
    expect(call?.attributes).toMatchObject({ 'warden.llm.level': 'fallback', 'warden.llm.attempts': 3, 'gen_ai.response.model': 'sim-large' });
  });

  it('never export a key, even one the provider echoes in its error', async () => {
    const sim = await startSimHarness({ apiKey: 'sk-the-right-key-000000' });
    cleanups.push(() => sim.close());
    const { named, spans } = traced(sim.bus);
    const wrongKey = 'sk-otel-wrong-key-123456';
    const client = sim.client({ models: [sim.openai({ apiKey: wrongKey })], retry: { maxAttempts: 1 } });
    await expect(client.complete({ messages: [{ role: 'user', content: 'hello' }] })).rejects.toThrow();
    const [attempt] = named('attempt 1');
    expect(attempt?.status.message).toContain('Incorrect API key provided: [redacted]');
    expect(JSON.stringify(spans().map((s) => [s.name, s.attributes, s.status, s.events]))).not.toContain(wrongKey);
  });
});

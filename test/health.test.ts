/**
 * Health checks with real parts: real agents over the official OpenAI SDK against the simulated
 * model server, real supervisors, a real SQLite store, real circuit breakers and real HTTP to the
 * admin port. Probes run on a virtual clock (the HTTP to the sim runs in real time): each level
 * passes and fails for real, each action does what it says (mark unhealthy → /readyz 503;
 * restart through the supervisor → a new pid and a failure in the MTBF figures; degrade → the
 * ladder moves down and back), and /healthz and /readyz answer 200 or 503.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent } from '../src/agent/index.ts';
import { LevelLadder, healthChild, ladderOverSkips, startHealth, type Health, type HealthOptions, type HealthReport } from '../src/health/index.ts';
import { CircuitBreaker, DegradationLadder, InProcessResultCache } from '../src/resilience/index.ts';
import { Runtime, VirtualClock, type Pid, type WardenEvent } from '../src/runtime/index.ts';
import { startChaosProxy, type SimScript } from '../src/sim/index.ts';
import { startSupervisor, stopSupervisor, whichChildren, worker } from '../src/supervisor/index.ts';
import { describeStores, storeCase } from '../src/testing/index.ts';
import { sim, simClient } from './support/agent-harness.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RIGHT = { rules: [{ match: { lastUser: '2 + 2' }, reply: { text: 'The answer is 4.' } }] };
const WRONG = { rules: [{ match: { lastUser: '2 + 2' }, reply: { text: 'The answer is 5.' } }] };

async function setup(script: SimScript = RIGHT) {
  const clock = new VirtualClock();
  const runtime = new Runtime({ clock });
  const seen: WardenEvent[] = [];
  runtime.events.onAny((e) => seen.push(e));
  const s = await sim(script);
  cleanups.push(() => s.close());
  const agent = defineAgent({ name: 'calc', model: simClient('openai', s.urls), bus: runtime.events });
  const start = async (options: Omit<HealthOptions, 'runtime'>): Promise<Health> => {
    const health = await startHealth({ runtime, admin: {}, ...options });
    cleanups.push(() => health.stop());
    return health;
  };
  /** Fire the probe timers due within `ms` and wait for the next event of `type`. */
  const advanceUntil = async <K extends WardenEvent['type']>(ms: number, type: K): Promise<WardenEvent<K>> => {
    const next = runtime.events.next(type);
    await clock.advance(ms);
    return next;
  };
  return { clock, runtime, seen, sim: s, agent, start, advanceUntil };
}

async function get(health: Health, path: string): Promise<{ status: number; body: HealthReport }> {
  const res = await fetch(`${health.server?.url}${path}`);
  return { status: res.status, body: (await res.json()) as HealthReport };
}

const probe = { name: 'arithmetic', question: 'What is 2 + 2?', expect: '4', child: 'calc', intervalMs: 10_000 } as const;

describe('L1 liveness and L2 readiness over HTTP', () => {
  it('answers /healthz and /readyz with 200 while everything answers, as JSON on 127.0.0.1', async () => {
    const { start, sim: s } = await setup();
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const health = await start({
      readiness: [
        { kind: 'store', store },
        { kind: 'endpoint', name: 'model', url: `${s.openaiBaseURL}/models` },
        { kind: 'breakers', breakers: [new CircuitBreaker({ name: 'sim' })] },
      ],
    });
    expect(health.server?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await get(health, '/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ name: 'health', status: 'ok', liveness: { ok: true, checks: [{ name: 'runtime', ok: true }] }, readiness: null });
    const ready = await get(health, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.readiness?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['store', true],
      ['model', true],
      ['breakers', true],
    ]);
  });

  it('answers /readyz 503 naming each check that fails: a closed store, a model server gone, every breaker open', async () => {
    const { start, sim: s, seen } = await setup();
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const breakers = [new CircuitBreaker({ name: 'a' }), new CircuitBreaker({ name: 'b' })];
    const health = await start({
      readiness: [
        { kind: 'store', store },
        { kind: 'endpoint', name: 'model', url: `${s.openaiBaseURL}/models` },
        { kind: 'breakers', breakers },
      ],
    });
    expect((await get(health, '/readyz')).status).toBe(200);
    breakers[0]?.isolate();
    expect((await get(health, '/readyz')).status).toBe(200); // one breaker still lets calls through
    breakers[1]?.isolate();
    await store.close();
    await s.close();
    const { status, body } = await get(health, '/readyz');
    expect(status).toBe(503);
    expect(body.status).toBe('unhealthy');
    expect(body.readiness?.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['store', 'model', 'breakers']);
    expect(body.readiness?.checks.find((c) => c.name === 'breakers')?.error).toBe('all 2 breakers are open');
    expect((await get(health, '/healthz')).status).toBe(200); // still alive: liveness does not depend on readiness
    expect(seen.filter((e) => e.type === 'health.readiness_changed').map((e) => e.type === 'health.readiness_changed' && [e.ready, e.failing])).toEqual([
      [true, []],
      [false, ['store', 'model', 'breakers']],
    ]);
  });

  it('answers /healthz 503 once the runtime no longer answers', async () => {
    const { start, runtime } = await setup();
    const health = await start({});
    expect((await get(health, '/healthz')).status).toBe(200);
    runtime.killAll();
    const { status, body } = await get(health, '/healthz');
    expect(status).toBe(503);
    expect(body.liveness).toMatchObject({ ok: false, checks: [{ name: 'runtime', ok: false }] });
  });

  it('is read-only: other methods get 405, unknown paths 404', async () => {
    const { start } = await setup();
    const health = await start({});
    const post = await fetch(`${health.server?.url}/readyz`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${health.server?.url}/nope`)).status).toBe(404);
  });

  it('refuses a Host that does not name loopback while it listens on loopback (DNS rebinding)', async () => {
    const { start } = await setup();
    const health = await start({});
    const port = health.server?.port ?? 0;
    const answer = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/healthz', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
    expect(await answer('rebind.attacker.example')).toBe(403);
    expect(await answer(`127.0.0.1.attacker.example:${port}`)).toBe(403);
    expect(await answer(`localhost:${port}`)).toBe(200);
    expect(await answer(`[::1]:${port}`)).toBe(200);
  });
});

describeStores(describe, 'the store readiness check', (storeCase) => {
  it('is ready while the store answers a read, and names the error once it does not', async () => {
    const runtime = new Runtime({ clock: new VirtualClock() });
    const { store, cleanup } = await storeCase.open();
    cleanups.push(cleanup);
    const health = await startHealth({ runtime, readiness: [{ kind: 'store', store }] });
    cleanups.push(() => health.stop());
    expect(await health.checkReadiness()).toMatchObject({ ok: true, checks: [{ name: 'store', ok: true }] });
    await store.close();
    const after = await health.checkReadiness();
    expect(after.ok).toBe(false);
    expect(after.checks[0]?.error).toMatch(/\w/);
  });
});

describe('L3 known-answer probes through a real agent', () => {
  it('passes on the known answer, fails on a wrong one, marks the child unhealthy (/readyz 503) and clears it on the next pass', async () => {
    const { start, sim: s, agent, advanceUntil } = await setup();
    const health = await start({ probes: [{ ...probe, agent }] });
    expect(await advanceUntil(0, 'health.probe_passed')).toMatchObject({ probe: 'arithmetic', child: 'calc' });
    expect((await get(health, '/readyz')).status).toBe(200);

    s.setScript(WRONG);
    const failed = await advanceUntil(10_000, 'health.probe_failed');
    expect(failed).toMatchObject({ failure: 'wrong_answer', detail: 'The answer is 5.', consecutiveFailures: 1 });
    const down = await get(health, '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'unhealthy',
      unhealthy: ['calc'],
      probes: [{ name: 'arithmetic', status: 'failing', runs: 2, failures: 1, lastFailure: 'wrong_answer', lastDetail: 'The answer is 5.' }],
    });
    expect(down.body.readiness?.checks).toMatchObject([{ name: 'child calc', ok: false, error: 'marked unhealthy by arithmetic' }]);

    s.setScript(RIGHT);
    await advanceUntil(10_000, 'health.action_taken');
    const up = await get(health, '/readyz');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ok', unhealthy: [], probes: [{ status: 'passing', runs: 3, failures: 1, consecutiveFailures: 0 }] });
  });

  it('fails with timeout when the model hangs past timeoutMs on the clock, and with error when the agent throws', async () => {
    const { start, sim: s, runtime, advanceUntil, clock } = await setup();
    const proxy = await startChaosProxy({ target: s.url, rules: [{ name: 'hung', times: 1, fault: { kind: 'hang' } }] });
    cleanups.push(() => proxy.close());
    const hung = defineAgent({ name: 'calc', model: simClient('openai', { openai: `${proxy.url}/v1`, anthropic: proxy.url }), bus: runtime.events });
    await start({ probes: [{ ...probe, agent: hung, timeoutMs: 5_000 }] });
    await clock.advance(0); // the run starts and hangs at the proxy
    const timedOut = await advanceUntil(5_000, 'health.probe_failed');
    expect(timedOut).toMatchObject({ failure: 'timeout', detail: 'no answer within 5000 ms', durationMs: 5_000 });

    s.setScript({ rules: [{ match: { lastUser: '2 + 2' }, reply: { error: { status: 400, message: 'bad request' } } }] });
    const errored = await advanceUntil(10_000, 'health.probe_failed');
    expect(errored).toMatchObject({ failure: 'error', consecutiveFailures: 2 });
  });

  it('restarts the child through its supervisor after failureThreshold failures, and the restart counts in MTBF/MTTR', async () => {
    const { start, sim: s, agent, runtime, advanceUntil, seen, clock } = await setup(WRONG);
    // The health starts first, so its tracker sees the child's whole life.
    const health = await start({
      probes: [{ ...probe, agent, failureThreshold: 2, actions: [{ kind: 'restart', supervisor: 'root', childId: 'calc' }] }],
    });
    const root = await startSupervisor(
      runtime,
      { name: 'root', children: [{ id: 'calc', start: worker(async (ctx) => void (await ctx.receive())) }] },
      { register: 'root' },
    );
    const before = (await whichChildren(runtime, root))[0]?.pid;
    await advanceUntil(0, 'health.probe_failed');
    expect(seen.some((e) => e.type === 'health.action_taken')).toBe(false); // one failure is below the threshold
    await clock.advance(1_000);
    const restarted = runtime.events.next('supervisor.child_started');
    await advanceUntil(9_000, 'health.probe_failed');
    await restarted;
    const after = (await whichChildren(runtime, root))[0]?.pid;
    expect(after).not.toBe(before);
    const order = seen.map((e) => e.type).filter((t) => t === 'health.action_taken' || t === 'supervisor.child_terminated' || t === 'supervisor.child_started');
    expect(order.slice(-3)).toEqual(['health.action_taken', 'supervisor.child_terminated', 'supervisor.child_started']);
    expect(seen.find((e) => e.type === 'health.action_taken')).toMatchObject({
      action: 'restart',
      supervisor: 'root',
      childId: 'calc',
      source: 'arithmetic',
      level: 'L3',
    });

    s.setScript(RIGHT);
    await advanceUntil(20_000, 'health.probe_passed'); // clock at 30 s; the restart was at 10 s
    const { reliability } = await health.report();
    expect(reliability.children).toEqual([
      expect.objectContaining({
        supervisor: 'root',
        childId: 'calc',
        failures: 1,
        repairs: 1,
        restarts: 0,
        state: 'up',
        mttrMs: 0,
        upMs: 30_000,
        mtbfMs: 30_000,
      }),
    ]);
  });

  it('reports a refused restart as health.action_failed, without throwing', async () => {
    const { start, agent, runtime, advanceUntil } = await setup(WRONG);
    await startSupervisor(runtime, { name: 'root', children: [] }, { register: 'root' });
    await start({ probes: [{ ...probe, agent, actions: [{ kind: 'restart', supervisor: 'root', childId: 'nobody' }] }] });
    const failed = await advanceUntil(0, 'health.action_failed');
    expect(failed).toMatchObject({ action: 'restart', childId: 'nobody', error: 'terminateChild answered not_found' });
  });

  it('moves a degradation ladder down on failure and back up after restoreAfterPasses passes', async () => {
    const { start, sim: s, agent, advanceUntil, seen } = await setup(WRONG);
    const resilience = new DegradationLadder<string, string>({
      name: 'answers',
      primary: async (q) => q,
      cache: new InProcessResultCache<string>(),
      staticAnswer: () => 'busy',
    });
    const ladder = ladderOverSkips(resilience, { name: 'answers', levels: ['primary', 'cache', 'static'] });
    const health = await start({ probes: [{ ...probe, agent, actions: [{ kind: 'degrade', ladder, restoreAfterPasses: 2 }] }] });
    await advanceUntil(0, 'health.probe_failed');
    await advanceUntil(10_000, 'health.probe_failed');
    expect(ladder.level).toBe('static');
    expect(resilience.config.skip).toEqual(['primary', 'cache']);
    expect((await health.report()).ladders).toEqual([{ name: 'answers', level: 'static', index: 2, levels: ['primary', 'cache', 'static'] }]);
    expect((await health.report()).status).toBe('degraded');

    s.setScript(RIGHT);
    await advanceUntil(10_000, 'health.probe_passed');
    expect(ladder.level).toBe('static'); // one pass is not enough
    await advanceUntil(10_000, 'health.probe_passed');
    expect(ladder.level).toBe('cache');
    expect(resilience.config.skip).toEqual(['primary']);
    expect(
      seen
        .filter((e) => e.type === 'health.action_taken')
        .map((e) =>
          e.type === 'health.action_taken' && e.action === 'degrade'
            ? `${e.from}→${e.to}`
            : e.type === 'health.action_taken' && e.action === 'restore'
              ? `↑${e.to}`
              : '',
        ),
    ).toEqual(['primary→cache', 'cache→static', '↑cache']);
  });
  it('counts a throwing expect as an error, and reports a ladder whose onChange throws (the ladder still moves)', async () => {
    const { start, agent, runtime, clock, seen } = await setup();
    const ladder = new LevelLadder({
      name: 'mode',
      levels: ['full', 'static'],
      onChange: () => {
        throw new Error('cannot switch');
      },
    });
    const grader = (): boolean => {
      throw new Error('grader down');
    };
    await start({ probes: [{ ...probe, agent, expect: grader, actions: [{ kind: 'degrade', ladder }] }] });
    const actionFailed = runtime.events.next('health.action_failed');
    await clock.advance(0);
    await actionFailed;
    expect(seen.find((e) => e.type === 'health.probe_failed')).toMatchObject({ failure: 'error', detail: 'expect threw: grader down' });
    expect(ladder.level).toBe('static');
    expect(seen.filter((e) => e.type.startsWith('health.action'))).toMatchObject([
      { type: 'health.action_taken', action: 'degrade', ladder: 'mode', from: 'full', to: 'static' },
      { type: 'health.action_failed', action: 'degrade', ladder: 'mode', error: 'cannot switch' },
    ]);
  });
});

describe('L4 quality from agent events and graders', () => {
  it('scores re-asks low, marks the child unhealthy, and recovers with good grades', async () => {
    const {
      start,
      sim: s,
      runtime,
    } = await setup({
      rules: [
        { match: { lastUser: 'summarize' }, reply: { text: 'not json' }, times: 1 },
        { match: { lastUser: 'summarize' }, reply: { json: { summary: 'ok' } } },
      ],
    });
    const writer = defineAgent({ name: 'writer', model: simClient('openai', s.urls), bus: runtime.events, output: z.object({ summary: z.string() }) });
    const health = await start({ quality: [{ name: 'writing', agent: 'writer', windowSize: 4, minSamples: 2, minScore: 0.75 }] });
    const low = runtime.events.next('health.quality_changed');
    await writer.run('summarize this'); // one re-ask (0), then an answer (1)
    expect(await low).toMatchObject({ monitor: 'writing', status: 'low', score: 0.5, samples: 2 });
    const { status, body } = await get(health, '/readyz');
    expect(status).toBe(503);
    expect(body.quality).toEqual([{ name: 'writing', agent: 'writer', child: 'writer', status: 'low', score: 0.5, samples: 2, minScore: 0.75 }]);

    await health.grade('writer', 1);
    await health.grade('writer', 1); // window: 0, 1, 1, 1
    expect((await health.report()).quality[0]).toMatchObject({ status: 'ok', score: 0.75 });
    expect((await get(health, '/readyz')).status).toBe(200);
    await expect(health.grade('writer', 2)).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'score', value: 2 });
  });
});

describe('L4 quality acting through the supervisor', () => {
  it('restarts the child when its score falls and judges the new incarnation on its own samples', async () => {
    const { start, runtime, seen } = await setup();
    const health = await start({
      quality: [{ name: 'writing', agent: 'writer', windowSize: 4, minSamples: 2, actions: [{ kind: 'restart', supervisor: 'team', childId: 'writer' }] }],
    });
    const team = await startSupervisor(
      runtime,
      { name: 'team', children: [{ id: 'writer', start: worker(async (ctx) => void (await ctx.receive())) }] },
      { register: 'team' },
    );
    const before = (await whichChildren(runtime, team))[0]?.pid;
    await health.grade('writer', 0);
    await health.grade('writer', 0.5); // mean 0.25 < 0.8: low, restart
    expect((await whichChildren(runtime, team))[0]?.pid).not.toBe(before);
    expect(seen.filter((e) => e.type === 'health.action_taken')).toMatchObject([{ action: 'restart', source: 'writing', level: 'L4', childId: 'writer' }]);
    expect((await health.report()).quality[0]).toMatchObject({ status: 'unknown', samples: 0, score: null });
    expect((await health.report()).reliability.children).toMatchObject([{ childId: 'writer', failures: 1, repairs: 1 }]);
  });
});

describe('the health as a supervised child', () => {
  it('starts under a supervisor, answers report calls, and stops everything it started when shut down', async () => {
    const { runtime, agent } = await setup();
    const root = await startSupervisor(runtime, {
      children: [{ id: 'health', start: healthChild({ name: 'ops', probes: [{ ...probe, agent, initialDelayMs: 60_000 }], admin: {} }) }],
    });
    const pid = (await whichChildren(runtime, root)).find((c) => c.id === 'health')?.pid as Pid;
    const report = await runtime.call<HealthReport>(pid, 'report');
    expect(report).toMatchObject({
      name: 'ops',
      status: 'ok',
      liveness: { ok: true },
      readiness: { ok: true },
      probes: [{ name: 'arithmetic', status: 'unknown' }],
    });
    expect(runtime.info(pid)).toMatchObject({ label: 'health:ops' });
    await stopSupervisor(runtime, root);
    expect(runtime.isAlive(pid)).toBe(false);
    expect(runtime.processCount).toBe(0); // its ping process too
  });

  it('checks its options when the child spec is built', () => {
    expect(() => healthChild({ probes: [{ ...probe, agent: {} as never }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_SPEC', path: 'probes[0].agent' }),
    );
  });
});

describe('options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['probes[0].intervalMs', { probes: [{ ...probe, agent: { run: async () => ({ output: '', text: '' }) }, intervalMs: -1 }] }, 'probes[0].intervalMs'],
    ['probes[0].agent', { probes: [{ ...probe, agent: {} }] }, 'probes[0].agent'],
    ['quality[0].minScore', { quality: [{ name: 'q', agent: 'a', minScore: 2 }] }, 'quality[0].minScore'],
    ['quality[0].minSamples', { quality: [{ name: 'q', agent: 'a', windowSize: 5, minSamples: 6 }] }, 'quality[0].minSamples'],
    ['readiness[0].url', { readiness: [{ kind: 'endpoint', url: 'not a url' }] }, 'readiness[0].url'],
    [
      'probes[0].actions[0].childId',
      { probes: [{ ...probe, agent: { run: async () => ({ output: '', text: '' }) }, actions: [{ kind: 'restart', supervisor: 'root' }] }] },
      'probes[0].actions[0].childId',
    ],
    ['a repeated probe name', { probes: [0, 1].map(() => ({ ...probe, agent: { run: async () => ({ output: '', text: '' }) } })) }, 'probes[1].name'],
    ['admin.port', { admin: { port: 70_000 } }, 'admin.port'],
  ])('rejects a bad %s naming the field, and starts nothing', async (_, options, path) => {
    const runtime = new Runtime({ clock: new VirtualClock() });
    await expect(startHealth({ runtime, ...options } as HealthOptions)).rejects.toMatchObject({ code: 'INVALID_SPEC', path });
    expect(runtime.processCount).toBe(0);
  });

  it('rejects a ladder with fewer than two levels', () => {
    expect(() => new LevelLadder({ name: 'x', levels: ['only'] })).toThrow(expect.objectContaining({ code: 'INVALID_SPEC', path: 'levels' }));
  });
});

/**
 * `warden demo` as a real process with the standard OTEL_* variables set exports its traces and
 * metrics over real OTLP/HTTP to a loopback receiver, as `http/json` and as `http/protobuf` (read
 * back field by field): the agents' runs, the crash of synthesize and its restart linked to the
 * crashed incarnation, its resumed run in the same trace with replayed steps marked, model calls
 * with the GenAI attributes, and the metrics. Without the SDK installed, one line says that
 * export was asked for and the demo runs on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-otel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function demo(env: Record<string, string>, nodeArgs: string[] = []): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeArgs, `${repo}bin/warden`, 'demo', '--virtual', '--quiet'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      timeout: 120_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: failed.stdout ?? '', err: failed.stderr ?? '' };
  }
}

const named = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);

describe.each(['http/json', 'http/protobuf'])('warden demo exporting over OTLP %s', (protocol) => {
  it('sends the runs, the crash and restart linked, the resumed run in its trace, model calls and metrics', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await demo({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: 'warden-demo-test',
      });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const type = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      expect(receiver.requests.filter((q) => q.path === '/v1/traces').every((q) => q.contentType.startsWith(type))).toBe(true);
      expect(receiver.requests.some((q) => q.path === '/v1/metrics')).toBe(true);
      expect(receiver.requests.some((q) => q.path === '/v1/logs')).toBe(false);
      const spans = receiver.spans;
      // The synthesize agent was killed midway: its run has two executions in one trace, the
      // second linked to the first, and its journaled steps replayed, not paid again.
      const runs = named(spans, 'run agent:synthesize');
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(runs.map((s) => s.traceId)).size).toBe(1);
      const resumed = runs.find((s) => s.attributes['warden.run.resumed'] === true);
      expect(resumed?.links.map((l) => l.spanId)).toEqual(expect.arrayContaining([runs.find((s) => s !== resumed)?.spanId]));
      const replayed = spans.filter((s) => s.parentSpanId === resumed?.spanId && s.attributes['warden.step.replayed'] === true);
      expect(replayed.map((s) => s.name)).toContain('step model#2');
      // Its supervisor restarted it: the new incarnation links to the one that was killed.
      const killed = spans.find((s) => s.name.endsWith(' synthesize') && s.attributes['warden.exit.reason'] === 'killed');
      expect(killed?.attributes['warden.exit.abnormal']).toBe(true);
      const restart = spans.find((s) => s.name === 'restart synthesize' && s.links.some((l) => l.spanId === killed?.spanId));
      expect(restart).toBeDefined();
      // Model calls, with the GenAI attributes.
      const calls = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
      expect(calls.length).toBeGreaterThan(3);
      expect(calls[0]?.attributes).toMatchObject({ 'gen_ai.provider.name': expect.any(String), 'gen_ai.request.model': expect.stringMatching(/^sim-/) });
      expect(calls.some((s) => typeof s.attributes['gen_ai.usage.input_tokens'] === 'number' && (s.attributes['warden.llm.cost_usd'] as number) > 0)).toBe(
        true,
      );
      expect(spans.some((s) => s.name.startsWith('fallback '))).toBe(true);
      expect(spans.some((s) => s.name === 'breaker openai:sim-small closed → open')).toBe(true);
      for (const metric of [
        'warden.supervisor.restarts',
        'gen_ai.client.token.usage',
        'warden.llm.cost',
        'warden.durable.steps',
        'warden.durable.runs',
        'warden.budget.remaining',
      ]) {
        expect([...receiver.metrics]).toContain(metric);
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('warden demo with export asked for and no SDK installed', () => {
  it('says so in one line and runs without telemetry', async () => {
    const r = await demo({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, [
      '--import',
      `${repo}test/support/hide-otel-sdk.ts`,
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'warden: OTEL_TRACES_EXPORTER=otlp asks for telemetry export, but @opentelemetry/sdk-node is not installed (npm install @opentelemetry/sdk-node); running without telemetry\n',
    );
    expect(r.out).toContain('report');
  });
});

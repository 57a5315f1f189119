/**
 * The memory-sync incident replayed (seed 004): a context monitor fires every six minutes and each
 * firing starts another memory-sync subagent, which hangs. With the subagent-count monitor the
 * duplicates are loud at once (one alert, one webhook to a real loopback server), and an operator
 * who edits the live config file turns the monitor from alerting to refusing and then to stopping
 * the newest, without a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { SubagentCountMonitor, WebhookSink, type Alert } from '../src/alerts/index.ts';
import { HotConfig, watchConfigFile } from '../src/config/index.ts';
import { Runtime, VirtualClock, type ProcessContext, type WardenEvent } from '../src/runtime/index.ts';
import { countChildren, startChild, startSupervisor, worker } from '../src/supervisor/index.ts';
import { waitFor } from '../src/testing/index.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const limitSchema = z.strictObject({
  kind: z.string(),
  max: z.number().int().min(0),
  action: z.enum(['alert', 'refuse', 'stop_newest']),
});
const schema = z.strictObject({ alerts: z.strictObject({ subagents: z.strictObject({ limits: z.array(limitSchema), cooldownMs: z.number() }) }) });
const configWith = (action: 'alert' | 'refuse' | 'stop_newest') => ({
  alerts: { subagents: { limits: [{ kind: 'memory-sync', max: 1, action }], cooldownMs: 3_600_000 } },
});

async function startWebhookReceiver(): Promise<{ url: string; alerts: Alert[] }> {
  const alerts: Alert[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      alerts.push((JSON.parse(body) as { alert: Alert }).alert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ops`, alerts };
}

it('is one alert and one webhook, then refused, then cut back to one, as the live config says', async () => {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  cleanups.push(() => rt.killAll());
  const events: WardenEvent[] = [];
  rt.events.onAny((e) => events.push(e));

  const dir = mkdtempSync(join(tmpdir(), 'warden-incident-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'warden.config.json');
  writeFileSync(file, JSON.stringify(configWith('alert')));
  const config = new HotConfig({ name: 'ops', schema, initial: configWith('alert'), clock, bus: rt.events });
  const monitor = new SubagentCountMonitor({ bus: rt.events, clock, runtime: rt, limits: [{ kind: 'memory-sync' }] });
  config.bind('alerts.subagents', monitor);
  const watcher = await watchConfigFile(config, file, { clock, watch: false, pollIntervalMs: 3_600_000 });
  cleanups.push(() => watcher.close());
  const receiver = await startWebhookReceiver();
  const sink = new WebhookSink({ bus: rt.events, clock, url: receiver.url });

  const hangingSync = async (ctx: ProcessContext): Promise<void> => {
    await ctx.receive(); // waits on a lock nobody releases
  };
  const syncs = await startSupervisor(rt, {
    strategy: 'dynamic',
    template: { id: 'memory-sync', start: monitor.guardStart('memory-sync', worker(hangingSync)), restart: 'temporary' },
  });
  /** The context monitor: a "new session" every 6 minutes, each starting a memory sync with no check. */
  const fireFor = async (minutes: number): Promise<void> => {
    for (let m = 0; m < minutes; m += 6) {
      await startChild(rt, syncs, undefined);
      await sink.drain(); // real HTTP takes real time: let a webhook land before the clock jumps 6 minutes
      await clock.advance(6 * 60_000);
    }
  };
  const running = async (): Promise<number> => (await countChildren(rt, syncs)).active;
  /** Edit the file and have it read (as fs.watch or the next poll would). */
  const edit = async (action: 'refuse' | 'stop_newest'): Promise<void> => {
    writeFileSync(file, JSON.stringify(configWith(action)));
    await watcher.check();
  };

  await fireFor(30);
  expect(await running()).toBe(5);
  await waitFor(() => receiver.alerts.length === 1, 'the webhook arrived');
  expect(receiver.alerts).toMatchObject([{ kind: 'subagent_count', subject: 'memory-sync', value: 2, threshold: 1 }]);

  await edit('refuse');
  await fireFor(30);
  expect(await running()).toBe(5);
  expect(events.filter((e) => e.type === 'alert.action_taken').map((e) => (e as WardenEvent<'alert.action_taken'>).action)).toEqual(Array(5).fill('refused'));

  await edit('stop_newest');
  await fireFor(6);
  await waitFor(async () => (await running()) === 1, 'the newest syncs are stopped');
  await clock.advance(60_000);
  expect(await running()).toBe(1);
  await sink.drain();
  expect(receiver.alerts).toHaveLength(1); // one incident, one webhook
  expect(events.filter((e) => e.type === 'config.changed')).toHaveLength(2);
});

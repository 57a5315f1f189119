/**
 * A real JSON file followed live: the poll on the virtual clock picks up a change (fs.watch off),
 * fs.watch picks one up with no poll due, a bad value or a file that is not JSON is refused and
 * the old value kept, and a bad file refuses to start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Retry } from '../resilience/index.ts';
import { startHarnessEvents } from '../testing/event-log.ts';
import { waitFor } from '../testing/index.ts';
import { HotConfig, watchConfigFile, type ConfigFileWatcher } from './index.ts';

const schema = z.strictObject({
  flags: z.strictObject({ newPlanner: z.boolean() }),
  retry: z.strictObject({ maxAttempts: z.number().int().min(1) }),
});
type AppConfig = z.infer<typeof schema>;
const initial: AppConfig = { flags: { newPlanner: false }, retry: { maxAttempts: 3 } };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(contents: unknown = initial) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
  const file = join(dir, 'app.json');
  writeFileSync(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
  const h = startHarnessEvents();
  const config = new HotConfig({ name: 'app', schema, initial, clock: h.clock, bus: h.bus });
  const retry = new Retry({ name: 'search' });
  config.bind('retry', retry);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const write = (value: unknown): void => writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const follow = async (options: { watch?: boolean; pollIntervalMs?: number } = {}): Promise<ConfigFileWatcher> => {
    const w = await watchConfigFile(config, file, { clock: h.clock, bus: h.bus, ...options });
    cleanups.push(() => w.close());
    return w;
  };
  return { ...h, file, config, retry, write, follow };
}

describe('a watched config file', () => {
  it('changed while running changes the bound policy at the next poll (fs.watch off)', async () => {
    const { config, retry, write, follow, clock, bus } = setup();
    await follow({ watch: false, pollIntervalMs: 1000 });
    write({ flags: { newPlanner: true }, retry: { maxAttempts: 7 } });
    const changed = bus.next('config.changed');
    await clock.advance(1000);
    expect(await changed).toMatchObject({ changed: ['flags.newPlanner', 'retry.maxAttempts'], actor: 'file' });
    expect(retry.config.maxAttempts).toBe(7);
    expect(config.isEnabled('flags.newPlanner')).toBe(true);
  });

  it('changed while running is picked up by fs.watch with no poll due', async () => {
    const { retry, write, follow, bus } = setup();
    await follow({ pollIntervalMs: 3_600_000 });
    const changed = bus.next('config.changed');
    write({ flags: { newPlanner: false }, retry: { maxAttempts: 9 } });
    await changed;
    expect(retry.config.maxAttempts).toBe(9);
  });

  it('with a bad value is refused naming the field, and the old value stays', async () => {
    const { config, retry, write, follow, clock, of } = setup();
    const watcher = await follow({ watch: false, pollIntervalMs: 1000 });
    write({ flags: { newPlanner: false }, retry: { maxAttempts: 0 } });
    await watcher.check();
    expect(of('config.rejected')).toMatchObject([{ field: 'retry.maxAttempts', actor: 'file' }]);
    expect(retry.config.maxAttempts).toBe(3);
    expect(config.current.retry.maxAttempts).toBe(3);
    for (let poll = 0; poll < 3; poll++) {
      // the same text is read again at every poll, and not refused again
      await clock.advance(1000);
      await waitFor(() => clock.pendingTimers() === 1, 'the poll is armed again');
    }
    expect(of('config.rejected')).toHaveLength(1);
  });

  it('that is not JSON is refused as (file) at the next poll, and the old value stays', async () => {
    const { config, write, follow, clock, bus } = setup();
    await follow({ watch: false, pollIntervalMs: 1000 });
    write('{ "retry": ');
    const rejected = bus.next('config.rejected');
    await clock.advance(1000);
    expect(await rejected).toMatchObject({ field: '(file)' });
    expect((await rejected).reason).toContain('is not JSON');
    expect(config.current).toEqual(initial);
  });

  it.each([
    ['missing', undefined, 'CONFIG_FILE_UNREADABLE'],
    ['not JSON', '{', 'CONFIG_FILE_UNREADABLE'],
    ['holding a bad value', { flags: { newPlanner: 'yes' }, retry: { maxAttempts: 1 } }, 'INVALID_SPEC'],
  ])('refuses to start when the file is %s', async (_, contents, code) => {
    const { file, config, follow } = setup(contents ?? initial);
    if (contents === undefined) rmSync(file);
    await expect(follow()).rejects.toMatchObject({ code });
    expect(config.current).toEqual(initial);
  });

  it('refuses bad options naming the field', async () => {
    const { follow } = setup();
    await expect(follow({ pollIntervalMs: 0 })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'pollIntervalMs' });
  });
});

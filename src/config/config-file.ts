/**
 * A JSON file as the source of a {@link HotConfig}: read at start (a missing, unreadable or bad
 * file refuses to start), then followed while the program runs. Change the file and the new
 * value is applied; a bad value is refused naming the field and the old one stays.
 *
 * How changes are noticed: `fs.watch` on the file's folder (so editors that write a new file and
 * rename it over the old one are seen), and, because `fs.watch` can miss events or be
 * unavailable (some network and container file systems), a poll on the injected clock every
 * `pollIntervalMs` that reads the file and compares its text. A text already applied (or
 * already refused) is not applied again.
 *
 * A file caught half-written by an `fs.watch` event does not parse; such a read is not reported,
 * and the next poll reads the file again and reports it if it is still not JSON. Written by hand
 * because the watchers on npm (chokidar and the like) bring their own timers and cannot run on
 * Warden's clock.
 */
import { type FSWatcher, watch as watchFolder } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { disposable, realClock, type Clock, type Disposable, type EventBus, type Timer } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import { ConfigFileError } from './errors.ts';
import type { HotConfig } from './hot-config.ts';

export interface ConfigFileOptions {
  /** How often the file is read in case `fs.watch` missed a change, ms. @default 2000 */
  readonly pollIntervalMs?: number;
  /** Also follow the file with `fs.watch`. @default true */
  readonly watch?: boolean;
  /** Clock of the poll. @default realClock */
  readonly clock?: Clock;
  /** Where `config.watch_degraded` is reported. @default none */
  readonly bus?: EventBus;
  /** The actor of changes read from the file, in events and audit rows. @default 'file' */
  readonly actor?: string;
}

export const CONFIG_FILE_DEFAULTS = Object.freeze({ pollIntervalMs: 2000, watch: true, actor: 'file' });

/** A followed file. `close()` (or `using`) stops following it. */
export interface ConfigFileWatcher extends Disposable {
  readonly file: string;
  /** Read the file now and apply it if its text changed; a bad file is reported (and resolves). */
  check(): Promise<void>;
  close(): void;
}

const optionsSchema = z.strictObject({
  pollIntervalMs: z.number().finite().gt(0).optional(),
  watch: z.boolean().optional(),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.setTimer === 'function', { message: 'must be a Clock' }).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.emit === 'function', { message: 'must be an EventBus' }).optional(),
  actor: z.string().min(1).optional(),
});

type Read = { readonly ok: true; readonly text: string; readonly value: unknown } | { readonly ok: false; readonly error: ConfigFileError };

async function readConfigFile(file: string): Promise<Read> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: new ConfigFileError(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? 'error'})`, error) };
  }
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: new ConfigFileError(file, `is not JSON (${(error as Error).message})`, error) };
  }
}

/**
 * Apply `file` to `config` now and follow it. Throws `ConfigFileError` (missing, unreadable, not
 * JSON) or `InvalidSpecError` (a bad value, field named) if the file cannot be applied at start.
 */
export async function watchConfigFile<T, I>(config: HotConfig<T, I>, file: string, options: ConfigFileOptions = {}): Promise<ConfigFileWatcher> {
  const o = parseWith(`config file ${file}`, optionsSchema, options);
  const path = resolve(file);
  const clock = o.clock ?? realClock;
  const pollIntervalMs = o.pollIntervalMs ?? CONFIG_FILE_DEFAULTS.pollIntervalMs;
  const source = `file:${path}`;
  const applyOptions = { source, actor: o.actor ?? CONFIG_FILE_DEFAULTS.actor };

  const first = await readConfigFile(path);
  if (!first.ok) throw first.error;
  await config.apply(first.value, applyOptions);
  /** The last text applied or refused; a read with the same text does nothing. */
  let lastText: string | undefined = first.text;
  let closed = false;
  let running: Promise<void> | undefined;
  let again: 'quiet' | 'report' | undefined;

  const checkOnce = async (reportUnreadable: boolean): Promise<void> => {
    const read = await readConfigFile(path);
    if (closed) return;
    if (!read.ok) {
      if (!reportUnreadable || lastText === undefined) return;
      lastText = undefined;
      await config.reportRefused('(file)', read.error.why, applyOptions);
      return;
    }
    if (read.text === lastText) return;
    lastText = read.text;
    await config.apply(read.value, applyOptions).catch(() => undefined); // refused: reported by the config
  };

  /** One check at a time; a check asked for while one runs runs once more after it. */
  const check = (reportUnreadable: boolean): Promise<void> => {
    if (running !== undefined) {
      if (again !== 'report') again = reportUnreadable ? 'report' : 'quiet';
      return running;
    }
    running = (async () => {
      try {
        await checkOnce(reportUnreadable);
        while (again !== undefined && !closed) {
          const report = again === 'report';
          again = undefined;
          await checkOnce(report);
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  let timer: Timer | undefined;
  const poll = (): void => {
    timer = clock.setTimer(pollIntervalMs, () => {
      void check(true).finally(() => {
        if (!closed) poll();
      });
    });
  };
  poll();

  let watcher: FSWatcher | undefined;
  const degrade = (reason: string): void => {
    watcher?.close();
    watcher = undefined;
    if (o.bus?.wants('config.watch_degraded')) o.bus.emit({ type: 'config.watch_degraded', config: config.name, file: path, reason });
  };
  if (o.watch ?? CONFIG_FILE_DEFAULTS.watch) {
    const name = basename(path);
    try {
      watcher = watchFolder(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) void check(false);
      });
      watcher.on('error', (error) => degrade(error.message));
    } catch (error) {
      degrade((error as Error).message);
    }
  }

  const close = (): void => {
    if (closed) return;
    closed = true;
    timer?.cancel();
    watcher?.close();
  };
  const d = disposable(close);
  return { file: path, check: () => check(true), close: d.dispose, dispose: d.dispose, [Symbol.dispose]: d.dispose };
}

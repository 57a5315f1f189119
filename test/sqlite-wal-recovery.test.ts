/**
 * A WAL-mode SQLite file whose main file is shorter than its header says, with the missing pages
 * in its `-wal` file: what a checkpoint cut short leaves (by a full disk, a crash, or still
 * running in another process). SQLite opens it and finds it sound, so Warden must open it too,
 * through the durable store and through the memory server's SQLite backend, with every committed
 * row; only a file SQLite itself finds damaged is refused, and that one is left untouched.
 *
 * The shape is made for real: a store writes with its connection open (so its `-wal` holds every
 * page), a second connection checkpoints it without resetting the `-wal`, both files are copied,
 * and the copy's main file is cut after its first pages, as an interrupted checkpoint leaves it.
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../src/runtime/index.ts';
import { checkSqliteFile, openStore, type Store } from '../src/store/index.ts';
import { openMemoryGraph } from '../src/memory/index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'warden-wal-'));

/** Pages the main file's header declares, and its page size. */
function header(file: string): { pages: number; pageSize: number } {
  const h = readFileSync(file).subarray(0, 100);
  const raw = h.readUInt16BE(16);
  return { pages: h.readUInt32BE(28), pageSize: raw === 1 ? 65536 : raw };
}

/**
 * Copy the live database `file` (open in a store) to `into` as a checkpoint cut short leaves it:
 * the `-wal` with every page, and the main file holding only its first `keepPages` pages while
 * its header counts them all.
 */
function copyWithCheckpointCutShort(file: string, into: string, keepPages: number): void {
  const raw = new Database(file);
  try {
    const [result] = raw.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    expect(result).toMatchObject({ busy: 0 });
    expect(result!.checkpointed).toBe(result!.log);
    copyFileSync(file, into);
    copyFileSync(`${file}-wal`, `${into}-wal`);
  } finally {
    raw.close(); // not the last connection (the store's is open), so the -wal stays as it is
  }
  const { pages, pageSize } = header(into);
  expect(pages).toBeGreaterThan(keepPages);
  truncateSync(into, keepPages * pageSize);
}

async function readAll(store: Store, ids: readonly string[]): Promise<unknown[]> {
  return Promise.all(ids.map(async (id) => [(await store.getRun(id))?.input, (await store.readJournal(id)).map((e) => e.valueJson)]));
}

describe('a WAL-mode SQLite file whose main file is shorter than its header says', () => {
  it('opens through openStore with every committed run and journal entry, and the next checkpoint completes the main file', async () => {
    const dir = tmp();
    const file = join(dir, 'live.db');
    const store = await openStore({ db: file });
    const ids = Array.from({ length: 12 }, (_, i) => `run-${i}`);
    for (const id of ids) {
      await store.createRun({ id, name: 'digest', input: { pad: `${id}:${'x'.repeat(3_000)}` }, traceId: 't', at: 1 });
      const { epoch } = (await store.claimRun(id, { owner: 'w1', leaseExpiresAt: 10, at: 1 }))!;
      await store.appendJournal({ runId: id, seq: 0, name: 'fetch', kind: 'step', outcome: 'ok', valueJson: JSON.stringify(`${id} fetched`), at: 2 }, epoch);
    }
    const expected = await readAll(store, ids);
    const copy = join(dir, 'copy.db');
    copyWithCheckpointCutShort(file, copy, 1);
    await store.close();

    const reopened = await openStore({ db: copy });
    expect(await readAll(reopened, ids)).toEqual(expected);
    await reopened.close();
    const { pages, pageSize } = header(copy);
    expect(statSync(copy).size).toBe(pages * pageSize);
    const check = new Database(copy, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });

  it('opens through the memory server’s SQLite backend with every entity and observation', async () => {
    const dir = tmp();
    const file = join(dir, 'live.db');
    const graph = await openMemoryGraph({ db: file });
    const names = Array.from({ length: 20 }, (_, i) => `entity-${i}`);
    await graph.write({
      tool: 'create_entities',
      entities: names.map((name) => ({ name, entityType: 'thing', observations: [`${name} ${'o'.repeat(1_500)}`] })),
    });
    await graph.write({ tool: 'create_relations', relations: [{ from: names[0]!, to: names[1]!, relationType: 'knows' }] });
    const expected = await graph.read({ tool: 'read_graph' });
    const copy = join(dir, 'copy.db');
    copyWithCheckpointCutShort(file, copy, 2);
    await graph.close();

    const reopened = await openMemoryGraph({ db: copy });
    expect(await reopened.read({ tool: 'read_graph' })).toEqual(expected);
    await reopened.write({ tool: 'add_observations', observations: [{ entityName: names[0]!, contents: ['after reopening'] }] });
    await reopened.close();
  });

  it('still refuses one whose -wal does not hold the missing pages, naming the file and what SQLite found, and leaves it untouched', async () => {
    const dir = tmp();
    const file = join(dir, 'live.db');
    const store = await openStore({ db: file });
    for (let i = 0; i < 12; i++) await store.createRun({ id: `run-${i}`, name: 'digest', input: { pad: 'x'.repeat(3_000) }, traceId: 't', at: 1 });
    const raw = new Database(file);
    raw.pragma('wal_checkpoint(TRUNCATE)'); // every page into the main file, the -wal emptied
    raw.close();
    await store.createRun({ id: 'last', name: 'digest', input: null, traceId: 't', at: 2 }); // the -wal now holds a few pages only
    const copy = join(dir, 'copy.db');
    copyFileSync(file, copy);
    copyFileSync(`${file}-wal`, `${copy}-wal`);
    await store.close();
    truncateSync(copy, 2 * header(copy).pageSize);
    const before = readFileSync(copy);

    const error = await openStore({ db: copy }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isWardenError(error, 'STORE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(copy);
    expect((error as Error).message).toMatch(/the file is truncated \(8192 bytes; its header declares \d+ pages of 4096 bytes\), and SQLite finds it damaged/);
    expect(readFileSync(copy).equals(before)).toBe(true);
    expect(() => checkSqliteFile(copy)).toThrow(/SQLite finds it damaged/);
  });
});

/**
 * The file backend: the graph in a JSONL file in the reference server's format, shared safely by
 * any number of processes.
 *
 * - **Appends, not rewrites.** A write appends its change records (see jsonl-log.ts), so it
 *   costs O(size of the change). When the log has grown past both `compactAfterBytes` and the
 *   size of the graph itself, the next writer rewrites the file as plain reference lines (a temp
 *   file, fsync, rename, fsync of the folder), which keeps the cost amortised O(change).
 * - **Serialised across processes.** Every write holds the file's lock (file-lock.ts) while it
 *   reads what others appended since it last looked, checks the call against that up-to-date
 *   graph, and appends. Writes queued in this process meanwhile go in the same turn (group
 *   commit). A process that finds the file replaced (another one compacted it) reads it again.
 * - **Durable.** The lock is released as soon as the bytes are written; the fdatasync that
 *   follows runs outside it, so the syncs of several processes overlap. A call resolves only
 *   after its bytes are synced (a file sync covers everything written before it, whoever wrote it).
 * - **Crash-safe.** A multi-line write is framed and dropped whole if cut short. A lock holder
 *   that finds an incomplete last write (its writer died mid-write) keeps those bytes aside in
 *   `<file>.rejected` and truncates them; readers without the lock just wait for the rest.
 * - **Auto-repair on load.** Corrupt lines are skipped with a warning naming the line and kept
 *   aside in `<file>.rejected` (never deleted); duplicate entities (by name) are merged into the
 *   first and duplicate relations dropped; then the file is compacted so they do not come back.
 * - **A full disk fails only the writes that hit it**, with `MemoryDiskFullError`: the bytes of a
 *   write cut short are cut off again at once, so nothing of it is applied and nothing written
 *   before is touched; reads go on, a compaction that finds no room waits for a later write, and
 *   writes succeed again once there is room.
 *
 * Reads see every write that resolved before they started, in any process, and may also see one
 * whose sync is still running (it is in the file, so it survives a process crash; only a power
 * failure before the sync could take it back).
 *
 * Written by hand: no library offers an append-only, multi-process JSONL store; the format is
 * the reference server's, which clients and people already read.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { realClock, type Clock, type EventBus } from '../runtime/index.ts';
import { isCallerError, isDiskFullError, memoryFileError } from './errors.ts';
import { FileLock } from './file-lock.ts';
import { GraphModel, type LogRecord, type Plan } from './graph-model.ts';
import { encodeRecord, encodeWrite, parseLog, type RejectedLine } from './jsonl-log.ts';
import { GroupCommit } from './group-commit.ts';
import './events.ts';
import type { KnowledgeGraph, MemoryGraph, MemoryGraphInfo, ReadOp, WriteOp, WriteResults, WriteTool } from './types.ts';

export interface FileGraphOptions {
  /** The JSONL file (created at the first write if missing). */
  readonly path: string;
  /** @default the real clock */
  readonly clock?: Clock;
  /** Where `memory.*` events go. */
  readonly events?: EventBus;
  /** Give up waiting for the file's lock after this long. @default 10_000 */
  readonly lockTimeoutMs?: number;
  /** A lock whose holder cannot be checked is stale once unchanged this long. @default 30_000 */
  readonly lockStaleMs?: number;
  /** Compact once the log has grown by more than this and more than the graph's own size. @default 1_048_576 */
  readonly compactAfterBytes?: number;
  /** Most calls written in one turn. @default 256 */
  readonly maxBatch?: number;
  /** Told about every repair, in one line naming the file and line (the CLI prints these on stderr). */
  readonly warn?: (message: string) => void;
}

export const FILE_GRAPH_DEFAULTS = { compactAfterBytes: 1_048_576, maxBatch: 256 } as const;

/** A line to keep in `<file>.rejected`; `announced`: already reported (a duplicate merged away), so not reported again. */
type Aside = RejectedLine & { readonly announced?: boolean };

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  plan?: Plan;
  error?: unknown;
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`the file ended ${buf.length - done} bytes early`);
    done += n;
  }
}

function syncFolder(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can sync a folder; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Open (reading and repairing) a graph kept in a JSONL file. */
export async function openFileGraph(options: FileGraphOptions): Promise<MemoryGraph> {
  const graph = new FileGraph(options);
  await graph.open();
  return graph;
}

class FileGraph implements MemoryGraph {
  readonly info: MemoryGraphInfo;
  private readonly path: string;
  private readonly rejectedPath: string;
  private readonly clock: Clock;
  private readonly events: EventBus | undefined;
  private readonly warn: (message: string) => void;
  private readonly lock: FileLock;
  private readonly compactAfterBytes: number;

  // What the model reflects: the file with inode `ino`, up to `offset` bytes (`lines` lines).
  private model = new GraphModel();
  private fd: number | undefined;
  private ino: number | undefined;
  private offset = 0;
  private lines = 0;
  private endsOpen = false;
  private baseBytes = 0;
  /** Lines of this inode that were skipped and are not kept aside yet (that happens just before a compaction drops them). */
  private pendingRejected: Aside[] = [];
  private repairNeeded = false;
  /** Lines kept aside and duplicates collapsed so far. */
  private repairs = 0;

  /** File descriptors with a sync in flight, and those to close once it is done. */
  private readonly syncing = new Set<number>();
  private readonly closeAfterSync = new Set<number>();

  private readonly writes: GroupCommit<Pending>;
  private closed = false;

  constructor(options: FileGraphOptions) {
    this.path = resolve(options.path);
    this.rejectedPath = `${this.path}.rejected`;
    this.info = Object.freeze({ backend: 'file', location: this.path });
    this.clock = options.clock ?? realClock;
    this.events = options.events;
    this.warn = options.warn ?? (() => {});
    this.lock = new FileLock(`${this.path}.lock`, {
      clock: this.clock,
      events: options.events,
      ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
      ...(options.lockStaleMs === undefined ? {} : { staleMs: options.lockStaleMs }),
    });
    this.compactAfterBytes = options.compactAfterBytes ?? FILE_GRAPH_DEFAULTS.compactAfterBytes;
    this.writes = new GroupCommit(options.maxBatch ?? FILE_GRAPH_DEFAULTS.maxBatch, (batch) => this.writeBatch(batch));
  }

  async open(): Promise<void> {
    await this.lock.acquire();
    try {
      this.sync(true);
      if (this.repairNeeded) this.compact('repair');
    } finally {
      this.lock.release();
    }
    this.events?.emit({
      type: 'memory.opened',
      backend: 'file',
      location: this.path,
      entities: this.model.entityCount,
      relations: this.model.relationCount,
      repairs: this.repairs,
    });
  }

  // ---- reading the file

  private closeFd(fd: number): void {
    if (this.syncing.has(fd)) this.closeAfterSync.add(fd);
    else closeSync(fd);
  }

  private reset(): void {
    if (this.fd !== undefined) this.closeFd(this.fd);
    this.fd = undefined;
    this.ino = undefined;
    this.model = new GraphModel();
    this.offset = 0;
    this.lines = 0;
    this.endsOpen = false;
    this.baseBytes = 0;
    this.pendingRejected = [];
    this.repairNeeded = false;
  }

  /** Catch up with the file: read it again if it was replaced, else read what was appended. */
  private sync(underLock: boolean): void {
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw memoryFileError(this.path, 'read the file', e);
      if (this.ino !== undefined) {
        this.reset();
        this.events?.emit({ type: 'memory.reloaded', file: this.path, reason: 'missing' });
      }
      return;
    }
    if (ino !== this.ino || this.fd === undefined) {
      const hadOne = this.ino !== undefined;
      this.reset();
      try {
        this.fd = openSync(this.path, 'r+');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed between the two looks
        throw memoryFileError(this.path, 'open the file', e);
      }
      this.ino = fstatSync(this.fd).ino;
      if (hadOne) this.events?.emit({ type: 'memory.reloaded', file: this.path, reason: 'replaced' });
    }
    const size = fstatSync(this.fd).size;
    if (size < this.offset) {
      // Cut below what we had read: not by a Warden writer (they truncate only torn bytes beyond it). Read it all again.
      this.reset();
      this.sync(underLock);
      return;
    }
    if (size === this.offset) return;
    const buf = Buffer.allocUnsafe(size - this.offset);
    try {
      readAll(this.fd, buf, this.offset);
    } catch (e) {
      throw memoryFileError(this.path, 'read the file', e);
    }
    const parsed = parseLog(buf, this.lines + 1, this.endsOpen);
    for (const unit of parsed.units) {
      for (const record of unit.records) this.applyRead(record, unit.line);
    }
    if (parsed.rejected.length > 0) {
      this.pendingRejected.push(...parsed.rejected);
      this.repairNeeded = true;
    }
    this.offset += parsed.consumedBytes;
    this.lines += parsed.consumedLines;
    this.endsOpen = parsed.endsOpen;
    if (this.baseBytes === 0) this.baseBytes = this.offset;
    if (parsed.incomplete !== undefined && underLock) {
      // We hold the lock, so nobody is writing: these bytes are a write torn by a crash. They are
      // kept aside (with the other skipped lines, in line order; a compaction follows under this
      // same lock) before they are cut off.
      this.keepAside([...this.pendingRejected, parsed.incomplete]);
      this.pendingRejected = [];
      this.repairNeeded = true;
      try {
        ftruncateSync(this.fd, this.offset);
        fdatasyncSync(this.fd);
      } catch (e) {
        throw memoryFileError(this.path, 'cut off a torn last write', e);
      }
    }
  }

  private applyRead(record: LogRecord, line: number): void {
    const outcome = this.model.apply(record);
    if (outcome === 'applied') return;
    this.repairNeeded = true;
    if (outcome === 'duplicate') {
      this.repairs++;
      const kind = record.type === 'entity' ? 'entity' : 'relation';
      const key = record.type === 'entity' ? record.name : record.type === 'relation' ? `${record.from} -[${record.relationType}]-> ${record.to}` : '';
      this.warn(`${this.path}:${line}: duplicate ${kind} ${JSON.stringify(key)} collapsed into the first`);
      this.events?.emit({ type: 'memory.duplicate_collapsed', file: this.path, line, kind, key });
      // What was merged away (a duplicate entity's own entityType, for one) is kept aside as it was, so nothing is lost.
      const reason = `duplicate ${kind} ${JSON.stringify(key)} collapsed into the first${kind === 'entity' ? ' (its observations were added to it)' : ''}; the line is kept here as it was`;
      this.pendingRejected.push({ line, text: encodeRecord(record), reason, announced: true });
      return;
    }
    this.pendingRejected.push({ line, text: encodeRecord(record), reason: outcome.invalid });
  }

  /** Append rejected lines to `<file>.rejected` (synced) and report each. */
  private keepAside(rejected: readonly Aside[]): void {
    if (rejected.length === 0) return;
    this.repairs += rejected.filter((r) => r.announced !== true).length;
    const at = new Date(this.clock.now()).toISOString();
    const text = rejected.map((r) => JSON.stringify({ file: this.path, line: r.line, reason: r.reason, keptAt: at, text: r.text })).join('\n') + '\n';
    let fd: number | undefined;
    try {
      fd = openSync(this.rejectedPath, 'a');
      writeSync(fd, text);
      fsyncSync(fd);
    } catch (e) {
      throw memoryFileError(this.rejectedPath, 'keep rejected lines aside', e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    for (const r of rejected) {
      if (r.announced === true) continue;
      this.warn(`${this.path}:${r.line}: ${r.reason}; skipped, kept in ${this.rejectedPath}`);
      this.events?.emit({ type: 'memory.line_rejected', file: this.path, line: r.line, reason: r.reason, keptIn: this.rejectedPath });
    }
  }

  /** Rewrite the file from the graph (under the lock, after `sync`). */
  private compact(reason: 'growth' | 'repair'): void {
    this.keepAside(this.pendingRejected);
    this.pendingRejected = [];
    const before = this.offset;
    const lines = [...this.model.lines()];
    const buf = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    const tmp = `${this.path}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(tmp, 'wx');
      try {
        writeAll(fd, buf, 0);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      syncFolder(this.path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      throw memoryFileError(this.path, 'compact the file', e);
    }
    if (this.fd !== undefined) this.closeFd(this.fd);
    this.fd = openSync(this.path, 'r+');
    this.ino = fstatSync(this.fd).ino;
    this.offset = buf.length;
    this.lines = lines.length;
    this.endsOpen = false;
    this.baseBytes = buf.length;
    this.repairNeeded = false;
    this.events?.emit({ type: 'memory.compacted', file: this.path, bytesBefore: before, bytesAfter: buf.length, reason });
  }

  /** Compact because the log has grown; on a full disk, leave it for a later write (the append needs far less room). */
  private compactForGrowth(): void {
    try {
      this.compact('growth');
    } catch (e) {
      if (!isDiskFullError(e)) throw e;
    }
  }

  private growthDue(): boolean {
    const grown = this.offset - this.baseBytes;
    return grown > this.compactAfterBytes && grown > this.baseBytes;
  }

  // ---- writing

  write<K extends WriteTool>(op: Extract<WriteOp, { tool: K }>): Promise<WriteResults[K]> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: the memory graph is closed`));
    return new Promise((resolve, reject) => {
      this.writes.add({ op, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      await this.lock.acquire();
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    let appended = 0;
    let fd: number | undefined;
    try {
      this.sync(true);
      if (this.repairNeeded) this.compact('repair');
      else if (this.growthDue()) this.compactForGrowth();
      const lines: string[] = [];
      for (const p of batch) {
        try {
          const plan = this.model.plan(p.op);
          for (const r of plan.records) this.model.apply(r);
          p.plan = plan;
          lines.push(...encodeWrite(plan.records));
        } catch (e) {
          if (!isCallerError(e)) throw e;
          p.error = e;
        }
      }
      if (lines.length > 0) {
        if (this.fd === undefined) this.create();
        fd = this.fd!;
        const buf = Buffer.from(`${this.endsOpen ? '\n' : ''}${lines.join('\n')}\n`);
        try {
          writeAll(fd, buf, this.offset);
        } catch (e) {
          try {
            ftruncateSync(fd, this.offset);
          } catch {
            // the next lock holder cuts the torn bytes off
          }
          throw memoryFileError(this.path, 'append to the file', e);
        }
        this.offset += buf.length;
        this.lines += lines.length;
        this.endsOpen = false;
        appended = lines.length;
      }
    } catch (e) {
      // The graph in memory may be ahead of the file now: read it again next time.
      this.reset();
      for (const p of batch) p.reject(e);
      return;
    } finally {
      this.lock.release();
    }
    if (appended > 0) {
      const syncFd = fd!;
      this.syncing.add(syncFd);
      try {
        await new Promise<void>((res, rej) => fdatasync(syncFd, (err) => (err === null ? res() : rej(err))));
      } catch (e) {
        const error = memoryFileError(this.path, 'sync the file', e);
        this.reset();
        for (const p of batch) p.reject(error);
        return;
      } finally {
        this.syncing.delete(syncFd);
        if (this.closeAfterSync.delete(syncFd)) closeSync(syncFd);
      }
    }
    for (const p of batch) {
      if (p.plan !== undefined) {
        p.resolve(p.plan.result);
        if (this.events?.wants('memory.write') === true) {
          this.events.emit({ type: 'memory.write', backend: 'file', tool: p.op.tool, changes: p.plan.records.length, batch: batch.length });
        }
      } else {
        const e = p.error as Error & { code: string };
        p.reject(e);
        this.events?.emit({ type: 'memory.write_refused', tool: p.op.tool, code: e.code, message: e.message });
      }
    }
  }

  /** Create the file (under the lock); the folder entry is synced so the file survives a crash. */
  private create(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a+');
    } catch (e) {
      throw memoryFileError(this.path, 'create the file', e);
    }
    this.ino = fstatSync(this.fd).ino;
    this.offset = fstatSync(this.fd).size;
    syncFolder(this.path);
  }

  // ---- reading

  async read(op: ReadOp): Promise<KnowledgeGraph> {
    if (this.closed) throw new Error(`${this.path}: the memory graph is closed`);
    this.sync(false);
    return this.model.read(op);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes.drained();
    this.lock.close();
    if (this.fd !== undefined) this.closeFd(this.fd);
    this.fd = undefined;
  }
}

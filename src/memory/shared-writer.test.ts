/**
 * The shared writer on real unix sockets and real graphs: who becomes the writer, that a
 * client's writes are made by the writer and its errors come back whole, a graceful handover
 * that fails no call, a writer SIGKILLed with calls in flight (its socket left behind), and a
 * stranger listening on the address. Waits are on answers and events; the retry delay runs on a
 * virtual clock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, realClock, VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { isCallerError } from './errors.ts';
import type { MemoryAccess } from './mcp-server.ts';
import { openMemoryGraph } from './open.ts';
import { shareWrites, writerAddress, type SharedWriterAccess } from './shared-writer.ts';
import type { MemoryGraph, WriteOp } from './types.ts';

const WARDEN_BIN = new URL('../../bin/warden', import.meta.url).pathname;

let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function graphOn(file: string): Promise<MemoryGraph> {
  const g = await openMemoryGraph({ file });
  cleanups.push(() => g.close());
  return g;
}

/** A graph's access that counts the writes made through it. */
function counted(graph: MemoryGraph): MemoryAccess & { writes: number } {
  const access = {
    writes: 0,
    write: (op: WriteOp) => {
      access.writes++;
      return graph.write(op);
    },
    read: graph.read.bind(graph),
  };
  return access;
}

function share(local: MemoryAccess, address: string, options: { clock?: VirtualClock } = {}): { access: SharedWriterAccess; events: WardenEvent[] } {
  const bus = new EventBus(options.clock ?? realClock);
  const events: WardenEvent[] = [];
  bus.onAny((e) => events.push(e));
  const access = shareWrites(local, { address, events: bus, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  cleanups.push(() => access.close());
  return { access, events };
}

const entity = (name: string): WriteOp => ({ tool: 'create_entities', entities: [{ name, entityType: 'thing', observations: [] }] });
const names = async (g: MemoryAccess): Promise<string[]> => (await g.read({ tool: 'read_graph' })).entities.map((e) => e.name).sort();

function fixture(): { file: string; address: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'warden-writer-')), 'memory.jsonl');
  return { file, address: writerAddress({ file })! };
}

/** Two write-counted graphs on one fresh file, each shared on the file's writer address. */
async function sharedPair() {
  const { file, address } = fixture();
  const a = counted(await graphOn(file));
  const b = counted(await graphOn(file));
  return { address, a, b, sa: share(a, address), sb: share(b, address) };
}

describe('writerAddress', () => {
  it('is a socket beside the file, or beside the SQLite store per graph, and none when the path is too long for a socket', () => {
    expect(writerAddress({ file: '/data/memory.jsonl' })).toBe('/data/memory.jsonl.writer.sock');
    expect(writerAddress({ sqlite: '/data/warden.db', graph: 'team' })).toBe('/data/warden.db.team.writer.sock');
    expect(writerAddress({ file: `/${'x'.repeat(120)}/memory.jsonl` })).toBeUndefined();
  });
});

describe('shareWrites', () => {
  it('makes the first server to write the writer and sends the next one’s writes to it; both read everything', async () => {
    const { address, a, b, sa, sb } = await sharedPair();
    await sa.access.write(entity('from-a'));
    expect(sa.access.role()).toBe('writer');
    expect(existsSync(address)).toBe(true);
    await Promise.all(Array.from({ length: 20 }, (_, i) => sb.access.write(entity(`from-b-${i}`))));
    expect(sb.access.role()).toBe('client');
    expect(a.writes).toBe(21);
    expect(b.writes).toBe(0);
    expect(await names(sb.access)).toEqual(['from-a', ...Array.from({ length: 20 }, (_, i) => `from-b-${i}`)].sort());
    expect(await names(sa.access)).toEqual(await names(sb.access));
    expect(sa.events).toContainEqual(expect.objectContaining({ type: 'memory.writer', role: 'writer', address }));
    expect(sb.events).toContainEqual(expect.objectContaining({ type: 'memory.writer', role: 'client', address }));
  });

  it('returns the writer’s refusal to the client with its code and the reference’s message; nothing is applied', async () => {
    const { file, address } = fixture();
    const sa = share(await graphOn(file), address);
    const sb = share(await graphOn(file), address);
    await sa.access.write(entity('a'));
    const refused = await sb.access.write({ tool: 'add_observations', observations: [{ entityName: 'nobody', contents: ['x'] }] }).catch((e: unknown) => e);
    expect(sb.access.role()).toBe('client');
    expect(refused).toMatchObject({ code: 'MEMORY_ENTITY_NOT_FOUND', message: 'Entity with name nobody not found' });
    expect(isCallerError(refused)).toBe(true);
    expect(await names(sb.access)).toEqual(['a']);
  });

  it('hands over when the writer closes: every call of the client succeeds, and the client becomes the writer', async () => {
    const { a, b, sa, sb } = await sharedPair();
    await sa.access.write(entity('first'));
    await sb.access.write(entity('second'));
    const writes = Array.from({ length: 300 }, (_, i) => sb.access.write(entity(`b-${i}`)));
    await sa.access.close();
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(sb.access.role()).toBe('writer');
    expect(a.writes + b.writes).toBe(302);
    expect(b.writes).toBeGreaterThan(0);
    expect(await names(b)).toHaveLength(302);
  });

  it('after the writer is SIGKILLed: calls in flight fail as possibly applied, the next write elects a new writer over the dead one’s socket, nothing acknowledged is lost', async () => {
    const { file, address } = fixture();
    // The writer: a real server process whose first write makes it the writer.
    const child = spawn(process.execPath, [WARDEN_BIN, 'memory', 'serve', '--file', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let err = '';
    const writerElected = new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        if (/writes for every server/.test(err)) resolve();
      }),
    );
    const send = (m: unknown): boolean => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'create_entities', arguments: { entities: [{ name: 'hub', entityType: 'x', observations: [] }] } },
    });
    await writerElected;

    const b = counted(await graphOn(file));
    const sb = share(b, address);
    const acked: string[] = [];
    const failures: unknown[] = [];
    let killed = false;
    const lane = async (k: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        const id = `l${k}-${i}`;
        try {
          await sb.access.write({ tool: 'add_observations', observations: [{ entityName: 'hub', contents: [id] }] });
          acked.push(id);
          if (acked.length === 200 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch (e) {
          failures.push(e);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => lane(k)));
    // Until the kill every write went to the writer process; a lane may have written since, as the new writer.
    expect(b.writes).toBeLessThanOrEqual(8);
    expect(existsSync(address)).toBe(true); // the dead writer's socket is left behind
    for (const f of failures) expect(f).toMatchObject({ code: 'MEMORY_UNAVAILABLE', message: expect.stringMatching(/may or may not have been applied/) });

    await sb.access.write({ tool: 'add_observations', observations: [{ entityName: 'hub', contents: ['after'] }] });
    expect(sb.access.role()).toBe('writer');
    expect(sb.events.filter((e) => e.type === 'memory.writer').map((e) => (e as { role: string }).role)).toEqual(['client', 'writer']);
    expect(b.writes).toBeGreaterThanOrEqual(1);
    const hub = (await b.read({ tool: 'open_nodes', names: ['hub'] })).entities[0]!;
    expect(acked.filter((id) => !hub.observations.includes(id))).toEqual([]);
    expect(hub.observations).toContain('after');
  });

  it('makes a writer whose socket another server replaced (both elected themselves at once) step down and join the other', async () => {
    const { file, address } = fixture();
    const clock = new VirtualClock();
    const a = counted(await graphOn(file));
    const b = counted(await graphOn(file));
    const sa = share(a, address, { clock });
    await sa.access.write(entity('a-1'));
    expect(sa.access.role()).toBe('writer');
    // What the race leaves behind: B found no socket (A's just removed) and listened on a new one.
    unlinkSync(address);
    const sb = share(b, address);
    await sb.access.write(entity('b-1'));
    expect(sb.access.role()).toBe('writer');

    await sa.access.write(entity('a-2')); // within the check interval: A still writes for itself
    expect(a.writes).toBe(2);
    await clock.advance(1_000);
    await sa.access.write(entity('a-3'));
    expect(sa.access.role()).toBe('client');
    expect(a.writes).toBe(2);
    expect(b.writes).toBe(2);
    expect(await names(a)).toEqual(['a-1', 'a-2', 'a-3', 'b-1']);
  });

  it('writes alone, and says why, while a stranger holds the address; shares again once it is gone', async () => {
    const { file, address } = fixture();
    const stranger = createServer((socket) => socket.resume().end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => stranger.listen(address, resolve));
    cleanups.push(() => stranger.listening && stranger.close());
    const clock = new VirtualClock();
    const local = counted(await graphOn(file));
    const s = share(local, address, { clock });
    await s.access.write(entity('alone'));
    expect(s.access.role()).toBe('alone');
    expect(local.writes).toBe(1);
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'memory.writer', role: 'alone', why: expect.stringMatching(/EPROTO/) }));

    await new Promise<void>((resolve) => stranger.close(() => resolve()));
    await clock.advance(5_000);
    await s.access.write(entity('shared'));
    expect(s.access.role()).toBe('writer');
    expect(await names(local)).toEqual(['alone', 'shared']);
  });
});

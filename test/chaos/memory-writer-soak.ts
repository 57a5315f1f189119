/**
 * Soak run of the memory server's shared writer: several stdio servers on one graph, each with
 * an SDK client writing from several lanes, while servers are SIGKILLed at seeded random points
 * (half of them the writer) and replaced. A call may fail while its server or the writer dies (its
 * outcome is unknown, and it is not counted as written); every call that was answered must be in
 * the graph afterwards, read through a fresh server. On a JSONL file and on a SQLite store.
 * Seeded, so a failure replays exactly.
 *
 *   npm run chaos:memory                               # 10 rounds per backend
 *   npm run chaos:memory -- --rounds 50 --seed 7
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callTool, freshBackend, readGraph, tool, wardenStdio, type BackendKind, type StdioServer } from '../support/memory-harness.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, seed: { type: 'string' }, servers: { type: 'string' }, writes: { type: 'string' } },
  strict: true,
});
const rounds = Number(values.rounds ?? 10);
const seed = Number(values.seed ?? Date.now() % 100_000);
const SERVERS = Number(values.servers ?? 4);
const WRITES = Number(values.writes ?? 600);
const LANES = 4;
const KILLS = 3;
for (const [name, v] of [
  ['rounds', rounds],
  ['servers', SERVERS],
  ['writes', WRITES],
] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be an integer >= 1 (got ${String(v)})`);
}

/** mulberry32: a small seeded generator, so a failing round replays exactly. */
function random(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The role this server announced last on stderr. */
function roleOf(server: StdioServer): 'writer' | 'client' | 'none' {
  const err = server.stderr();
  const w = err.lastIndexOf('writes for every server');
  const c = err.lastIndexOf('writes go to the server');
  return w < 0 && c < 0 ? 'none' : w > c ? 'writer' : 'client';
}

interface RoundResult {
  acked: number;
  unknown: number;
  kills: number;
  writerKills: number;
  lost: string[];
  unexpected: string[];
}

async function round(kind: BackendKind, rng: () => number): Promise<RoundResult> {
  const backend = freshBackend(kind);
  const slots: { server: Promise<StdioServer>; killed: Set<number> }[] = [];
  const all: StdioServer[] = [];
  const start = (): Promise<StdioServer> =>
    wardenStdio(backend.args).then((s) => {
      all.push(s);
      return s;
    });
  for (let i = 0; i < SERVERS; i++) slots.push({ server: start(), killed: new Set() });
  const first = await slots[0]!.server;
  await tool(first.client, 'create_entities', { entities: [{ name: 'hub', entityType: 'shared', observations: [] }] });

  const created: string[] = [];
  const observed: string[] = [];
  const result: RoundResult = { acked: 0, unknown: 0, kills: 0, writerKills: 0, lost: [], unexpected: [] };
  const killAt = Array.from({ length: KILLS }, () => Math.floor(rng() * WRITES * 0.8) + 20).sort((a, b) => a - b);
  let issued = 0;

  const maybeKill = async (): Promise<void> => {
    while (killAt.length > 0 && result.acked >= killAt[0]!) {
      killAt.shift();
      // Half the kills go to the writer (when one is known), the rest to any server.
      const current = await Promise.all(slots.map((s) => s.server));
      const writerSlot = current.findIndex((s) => roleOf(s) === 'writer');
      const slot = slots[writerSlot >= 0 && rng() < 0.5 ? writerSlot : Math.floor(rng() * slots.length)]!;
      const victim = await slot.server;
      if (slot.killed.has(victim.pid)) continue;
      slot.killed.add(victim.pid);
      result.kills++;
      if (roleOf(victim) === 'writer') result.writerKills++;
      process.kill(victim.pid, 'SIGKILL');
      slot.server = start();
    }
  };

  const lane = async (slot: (typeof slots)[number], k: number): Promise<void> => {
    while (issued < WRITES) {
      const i = issued++;
      const id = `w${k}-${i}`;
      const server = await slot.server;
      const r =
        i % 2 === 0
          ? await callTool(server.client, 'create_entities', { entities: [{ name: id, entityType: 'write', observations: [] }] })
          : await callTool(server.client, 'add_observations', { observations: [{ entityName: 'hub', contents: [id] }] });
      if (r.ok) {
        (i % 2 === 0 ? created : observed).push(id);
        result.acked++;
        await maybeKill();
      } else if (slot.killed.has(server.pid) || /may or may not have been applied|Connection closed/i.test(r.error)) {
        result.unknown++; // its server, or the writer, died with it in flight
      } else {
        result.unexpected.push(`${id}: ${r.error}`);
      }
    }
  };
  await Promise.all(slots.flatMap((slot, s) => Array.from({ length: LANES }, (_, l) => lane(slot, s * LANES + l))));

  for (const slot of slots) await (await slot.server).close().catch(() => {});
  const check = await wardenStdio(backend.args);
  const g = await readGraph(check.client);
  await check.close();
  const names = new Set(g.entities.map((e) => e.name));
  const hub = new Set(g.entities.find((e) => e.name === 'hub')?.observations ?? []);
  result.lost = [...created.filter((id) => !names.has(id)), ...observed.filter((id) => !hub.has(id))];
  if (backend.file !== undefined) {
    for (const [n, line] of readFileSync(backend.file, 'utf8').split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        JSON.parse(line);
      } catch {
        result.unexpected.push(`${backend.file}:${n + 1} is not JSON after the round`);
      }
    }
  }
  await backend.drop();
  return result;
}

let failed = false;
for (const kind of ['file', 'sqlite'] as const) {
  const rng = random(seed);
  const total: RoundResult = { acked: 0, unknown: 0, kills: 0, writerKills: 0, lost: [], unexpected: [] };
  for (let r = 0; r < rounds; r++) {
    const res = await round(kind, rng);
    total.acked += res.acked;
    total.unknown += res.unknown;
    total.kills += res.kills;
    total.writerKills += res.writerKills;
    total.lost.push(...res.lost.map((id) => `round ${r + 1}: ${id}`));
    total.unexpected.push(...res.unexpected.map((m) => `round ${r + 1}: ${m}`));
  }
  console.log(
    `${kind}: ${rounds} rounds, ${SERVERS} servers × ${LANES} lanes, ${total.kills} servers SIGKILLed (${total.writerKills} of them the writer); ` +
      `${total.acked} writes answered, ${total.unknown} of unknown outcome, ${total.lost.length} lost, ${total.unexpected.length} unexpected failures (seed ${seed})`,
  );
  for (const line of [...total.lost, ...total.unexpected].slice(0, 20)) console.log(`  ${line}`);
  if (total.lost.length > 0 || total.unexpected.length > 0) failed = true;
}
process.exit(failed ? 1 : 0);

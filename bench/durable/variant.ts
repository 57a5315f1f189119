/**
 * One measurement of one variant, in a fresh process; prints one JSON line. Run by
 * bench/durable.bench.ts:
 *
 *   node bench/durable/variant.ts <variant> <mode> <n> <dir> [pgUrl]
 *
 * variants: warden-sqlite, warden-postgres, dbos, langgraph-sqlite (synchronous=FULL, as
 * Warden's), langgraph-sqlite-default (its own default, WAL + synchronous=NORMAL);
 * modes: steps (a run of n trivial durable steps, one after another), concurrent (100 runs of
 * n steps each, at once), resume-prepare / resume (a 1,000-step run left by a crashed host,
 * then the time from opening the store to the first new step).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [variant, mode, nText, dir, pgUrl] = process.argv.slice(2);
const n = Number(nText);
if (variant === undefined || mode === undefined || !Number.isInteger(n) || dir === undefined) {
  throw new Error('usage: variant.ts <variant> <mode> <n> <dir> [pgUrl]');
}
mkdirSync(dir, { recursive: true });
const now = (): number => performance.now();
const schema = `bench_${process.env.BENCH_TAG ?? 'x'}`;

async function wardenHost(kind: 'sqlite' | 'postgres') {
  const { openSqliteStore, openPostgresStore } = await import('../../src/store/index.ts');
  const { DurableHost, defineRun } = await import('../../src/durable/index.ts');
  const t0 = now();
  const store =
    kind === 'sqlite' ? await openSqliteStore({ path: join(dir!, 'warden.db') }) : await openPostgresStore({ url: pgUrl!, schema, maxConnections: 4 });
  const openMs = now() - t0;
  let firstNewStep: number | undefined;
  const steps = defineRun('bench-steps', async (run, input: { n: number }) => {
    let x = 0;
    for (let i = 0; i < input.n; i++) {
      x = await run.step(`s${i}`, () => {
        if (firstNewStep === undefined && mode === 'resume') firstNewStep = now();
        return x + 1;
      });
    }
    return x;
  });
  const host = new DurableHost({ store, runs: [steps], owner: 'bench-host' });
  return { store, host, steps, openMs, t0, firstNewStep: () => firstNewStep };
}

async function warden(kind: 'sqlite' | 'postgres'): Promise<Record<string, number>> {
  const w = await wardenHost(kind);
  try {
    if (mode === 'steps') {
      await (await w.host.start(w.steps, { n: 50 })).result; // warm-up
      const t = now();
      const out = await (await w.host.start(w.steps, { n })).result;
      const ms = now() - t;
      if (out.status !== 'completed') throw new Error(JSON.stringify(out));
      return { us_per_step: (ms * 1000) / n, ms };
    }
    if (mode === 'concurrent') {
      await (await w.host.start(w.steps, { n: 20 })).result;
      const t = now();
      const handles = await Promise.all(Array.from({ length: 100 }, () => w.host.start(w.steps, { n })));
      const outs = await Promise.all(handles.map((h) => h.result));
      const ms = now() - t;
      if (outs.some((o) => o.status !== 'completed')) throw new Error('a run did not complete');
      return { steps_per_s: (100 * n) / (ms / 1000), ms };
    }
    if (mode === 'resume-prepare') {
      // A 1,000-step run whose host "crashed" after journaling n steps: the run stays running,
      // owned by bench-host; the next process with that owner takes it back at once.
      const { id } = await w.store.createRun({ id: 'resume-me', name: 'bench-steps', input: { n: n + 10 }, traceId: 't', at: Date.now() }).then((r) => r.run);
      const claimed = (await w.store.claimRun(id, { owner: 'bench-host', leaseExpiresAt: Date.now() + 3_600_000, at: Date.now() }))!;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          w.store.appendJournal({ runId: id, seq: i, name: `s${i}`, kind: 'step', outcome: 'ok', valueJson: String(i + 1), at: Date.now() }, claimed.epoch),
        ),
      );
      return { prepared: n };
    }
    if (mode === 'resume') {
      const handles = await w.host.recover();
      for (let i = 0; w.firstNewStep() === undefined; i++) {
        if (i > 1_000_000) throw new Error('no new step ran');
        await new Promise((r) => setImmediate(r));
      }
      const first = w.firstNewStep()! - w.t0;
      await handles[0]!.result;
      return { restart_to_first_new_step_ms: first, open_ms: w.openMs };
    }
    throw new Error(`unknown mode ${mode}`);
  } finally {
    await w.host.close();
    await w.store.close();
  }
}

async function dbos(): Promise<Record<string, number>> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  DBOS.setConfig({ name: 'warden-bench', systemDatabaseUrl: pgUrl!, systemDatabaseSchemaName: schema });
  const step = async (x: number): Promise<number> => x + 1;
  const wf = DBOS.registerWorkflow(
    async (count: number) => {
      let x = 0;
      for (let i = 0; i < count; i++) x = await DBOS.runStep(() => step(x), { name: `s${i}` });
      return x;
    },
    { name: 'bench-steps' },
  );
  await DBOS.launch();
  try {
    if (mode === 'steps') {
      await wf(50);
      const t = now();
      const x = await wf(n);
      const ms = now() - t;
      if (x !== n) throw new Error(`dbos returned ${x}`);
      return { us_per_step: (ms * 1000) / n, ms };
    }
    if (mode === 'concurrent') {
      await wf(20);
      const t = now();
      await Promise.all(Array.from({ length: 100 }, () => wf(n)));
      const ms = now() - t;
      return { steps_per_s: (100 * n) / (ms / 1000), ms };
    }
    throw new Error(`dbos: mode ${mode} not measured`);
  } finally {
    await DBOS.shutdown();
  }
}

async function langgraph(synchronous: 'FULL' | 'default'): Promise<Record<string, number>> {
  const { StateGraph, Annotation, START, END } = await import('@langchain/langgraph');
  const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
  // The checkpointer gets a better-sqlite3 13 handle (the one Warden uses): the 12.x the package
  // asks for crashes in a statement destructor on Node 24 here, so bench/package.json overrides
  // it to 13 (prebuilt, nothing compiled on install).
  const { default: Database } = await import('better-sqlite3');
  const saver = new SqliteSaver(new Database(join(dir!, 'langgraph.db')) as unknown as ConstructorParameters<typeof SqliteSaver>[0]);
  if (synchronous === 'FULL') saver.db.pragma('synchronous = FULL');
  const State = Annotation.Root({ x: Annotation<number>() });
  const build = (count: number) => {
    // biome-ignore lint/suspicious/noExplicitAny: each addNode returns a graph of a new type; a loop adding `count` nodes cannot be typed
    let g: any = new StateGraph(State);
    for (let i = 0; i < count; i++) g = g.addNode(`s${i}`, (s: { x: number }) => ({ x: s.x + 1 }));
    g = g.addEdge(START, 's0');
    for (let i = 1; i < count; i++) g = g.addEdge(`s${i - 1}`, `s${i}`);
    g = g.addEdge(`s${count - 1}`, END);
    return g.compile({ checkpointer: saver });
  };
  let thread = 0;
  const invoke = (graph: ReturnType<typeof build>, count: number) =>
    graph.invoke({ x: 0 }, { configurable: { thread_id: `t${++thread}` }, durability: 'sync', recursionLimit: count + 10 }) as Promise<{ x: number }>;
  if (mode === 'steps') {
    const warm = build(50);
    await invoke(warm, 50);
    const graph = build(n);
    const t = now();
    const out = await invoke(graph, n);
    const ms = now() - t;
    if (out.x !== n) throw new Error(`langgraph returned ${out.x}`);
    return { us_per_step: (ms * 1000) / n, ms, synchronous: Number(saver.db.pragma('synchronous', { simple: true })) };
  }
  if (mode === 'concurrent') {
    const graph = build(n);
    await invoke(graph, n);
    const t = now();
    await Promise.all(Array.from({ length: 100 }, () => invoke(graph, n)));
    const ms = now() - t;
    return { steps_per_s: (100 * n) / (ms / 1000), ms };
  }
  throw new Error(`langgraph: mode ${mode} not measured`);
}

const result =
  variant === 'warden-sqlite'
    ? await warden('sqlite')
    : variant === 'warden-postgres'
      ? await warden('postgres')
      : variant === 'dbos'
        ? await dbos()
        : variant === 'langgraph-sqlite'
          ? await langgraph('FULL')
          : variant === 'langgraph-sqlite-default'
            ? await langgraph('default')
            : (() => {
                throw new Error(`unknown variant ${variant}`);
              })();
process.stdout.write(`${JSON.stringify({ variant, mode, n, ...result })}\n`);
process.exit(0);

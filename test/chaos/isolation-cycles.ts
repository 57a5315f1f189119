/**
 * Soak: kill and restart a child in its own thread and one in its own process many times under a
 * supervisor, then check that nothing is left behind: OS threads, child processes, active
 * handles and `exit` listeners back to their baseline, no live processes in the runtime.
 *
 *   npm run chaos:isolation -- [--cycles 1000]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Runtime, realClock, type Pid } from '../../src/runtime/index.ts';
import { childProcess, thread } from '../../src/isolation/index.ts';
import { startSupervisor, stopSupervisor, whichChildren, type ChildStart } from '../../src/supervisor/index.ts';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '1000' } } });
const cycles = Number(values.cycles);
const FIXTURE = new URL('../fixtures/remote/echo.ts', import.meta.url);

function childPids(): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
const snapshot = () => ({
  threads: readdirSync('/proc/self/task').length,
  children: childPids(),
  handles: process.getActiveResourcesInfo().length,
  exitListeners: process.listenerCount('exit'),
});

let failed = false;
for (const [host, start] of [
  ['thread', thread(FIXTURE)],
  ['process', childProcess(FIXTURE)],
] as Array<[string, ChildStart]>) {
  const rt = new Runtime({ clock: realClock });
  const warm = await startSupervisor(rt, { children: [{ id: 'c', start }] });
  await stopSupervisor(rt, warm);
  const before = snapshot();
  let ended = 0;
  let allEnded!: () => void;
  const done = new Promise<void>((r) => (allEnded = r));
  rt.events.on('isolation.exited', () => {
    if (++ended === cycles + 1) allEnded();
  });
  const t0 = performance.now();
  const sup = await startSupervisor(rt, { intensity: 1_000_000, periodSeconds: 1, children: [{ id: 'c', start }] });
  for (let i = 0; i < cycles; i++) {
    const [c] = await whichChildren(rt, sup);
    const next = rt.events.next('supervisor.child_restarted');
    rt.sendExit(c?.pid as Pid, 'kill');
    await next;
  }
  await stopSupervisor(rt, sup);
  await done;
  const after = snapshot();
  const ok =
    after.threads <= before.threads &&
    after.children === before.children &&
    after.handles <= before.handles &&
    after.exitListeners === before.exitListeners &&
    rt.processCount === 0;
  failed ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${host}: ${cycles} kill/restart cycles in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `before ${JSON.stringify(before)}, after ${JSON.stringify(after)}, live processes ${rt.processCount}`,
  );
}
process.exit(failed ? 1 : 0);

import { Runtime, startSupervisor, stopSupervisor, whichChildren, worker } from 'warden';

const rt = new Runtime();
rt.events.on('supervisor.child_exited', (e) => console.log(`${e.childId} crashed: ${String(e.reason)}`));
rt.events.on('supervisor.child_restarted', (e) => console.log(`${e.childId} restarted as ${String(e.pid)}`));

// An agent with no error handling at all: it crashes on the third step of its first run.
let runs = 0;
const researcher = worker(async (ctx) => {
  runs++;
  for (let step = 1; ; step++) {
    await ctx.sleep(50);
    if (runs === 1 && step === 3) throw new SyntaxError('model returned malformed JSON');
  }
});

const root = await startSupervisor(rt, {
  strategy: 'one_for_one',
  intensity: 3, // more than 3 restarts within 5 s and the supervisor gives up
  periodSeconds: 5,
  children: [{ id: 'researcher', start: researcher }],
});

await rt.clock.sleep(300);
const [child] = await whichChildren(rt, root);
console.log(`after ${runs} runs, ${child?.id} is ${child?.pid === undefined ? 'stopped' : 'running'}`);
await stopSupervisor(rt, root);

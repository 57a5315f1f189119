/**
 * `warden demo`: a supervision tree of agents that crash the way real ones do, recovering
 * under supervision while the terminal shows every crash, restart and escalation and the
 * live tree; ends with a report. Runs on the real clock, or instantly and reproducibly on the
 * virtual clock with `--virtual`.
 */
import {
  Runtime,
  VirtualClock,
  realClock,
  seededRandom,
  type Clock,
  type Pid,
} from '../../runtime/index.ts';
import { inspectTree, startSupervisor, stopSupervisor } from '../../supervisor/index.ts';
import { DemoStats, demoTree } from '../demo/agents.ts';
import { Painter, clockLabel, describeEvent, renderTree } from '../demo/render.ts';
import { integerOption, type Command } from '../command.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'watch a supervision tree of crashing agents recover on its own',
  help: `Usage: warden demo [--seconds N] [--seed N] [--crash-rate P] [--virtual] [--quiet]

Starts a small research team of agents under supervisors (a rest_for_one pipeline
search → extract → synthesize, a dynamic supervisor for their tool calls and a
server that keeps their findings). The agents fail the way real ones do: an
overloaded provider, a hallucinated tool, malformed JSON, a tool that times out.
They never handle it themselves; supervisors restart them, and a supervisor that
sees too many failures gives up and escalates to its parent.

Every crash, restart and escalation is printed as it happens, the live tree every
two seconds, and a report at the end.

Options:
  --seconds N      how long to run (default 8)
  --seed N         seed for the faults; the same seed gives the same run on --virtual (default 7)
  --crash-rate P   chance in percent that an agent step fails (default 12)
  --virtual        run on the virtual clock: instant and reproducible
  --quiet          print only the final report
  -h, --help       show this help
`,
  options: {
    seconds: { type: 'string' },
    seed: { type: 'string' },
    'crash-rate': { type: 'string' },
    virtual: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  positionals: false,
  async run(args, io) {
    const seconds = integerOption(args, 'seconds', 8, 1);
    const seed = integerOption(args, 'seed', 7);
    const crashRate = integerOption(args, 'crash-rate', 12) / 100;
    const quiet = args.values.quiet === true;
    const virtual = args.values.virtual === true;
    const p = new Painter(io.isTTY && io.env.NO_COLOR === undefined);
    const clock: Clock = virtual ? new VirtualClock() : realClock;
    const rt = new Runtime({ clock });
    const stats = new DemoStats();
    const restarts = new Map<string, number>();
    const t0 = clock.now();
    let crashes = 0;
    let escalations = 0;
    const out = (line: string): void => {
      if (!quiet) io.stdout.write(`${line}\n`);
    };
    rt.events.onAny((e) => {
      if (e.type === 'supervisor.child_exited' && e.reason !== 'normal') crashes++;
      if (e.type === 'supervisor.escalated') escalations++;
      if (e.type === 'supervisor.child_restarted' && e.name !== 'tools') restarts.set(e.childId, (restarts.get(e.childId) ?? 0) + 1);
      const line = describeEvent(e, p);
      if (line !== undefined) out(`${p.paint('dim', clockLabel(e.at - t0))}  ${line}`);
    });

    out(p.paint('bold', `warden demo: ${seconds}s on the ${virtual ? 'virtual' : 'real'} clock, seed ${seed}\n`));
    const root: Pid = await startSupervisor(rt, demoTree(seededRandom(seed), stats, crashRate));
    const showTree = async (): Promise<void> => {
      out(`\n${renderTree(await inspectTree(rt, root), stats, restarts, p)}\n`);
    };
    await showTree();
    for (let elapsed = 0; elapsed < seconds * 1000; elapsed += 2000) {
      const step = Math.min(2000, seconds * 1000 - elapsed);
      if (clock instanceof VirtualClock) await clock.advance(step);
      else await clock.sleep(step);
      if (!rt.isAlive(root)) break;
      await showTree();
    }
    const rootAlive = rt.isAlive(root);
    const findings = stats.findings;
    const steps = [...stats.agents.values()].reduce((n, a) => n + a.steps, 0);
    const toolCalls = [...stats.agents.values()].reduce((n, a) => n + a.toolCalls, 0);
    if (rootAlive) {
      const stopping = stopSupervisor(rt, root);
      if (clock instanceof VirtualClock) await clock.runUntil(() => !rt.isAlive(root));
      await stopping;
    }
    const report = [
      p.paint('bold', 'report'),
      `  ran for        ${((clock.now() - t0) / 1000).toFixed(1)}s (${virtual ? 'virtual' : 'real'} time)`,
      `  agent steps    ${steps} (${toolCalls} tool calls, ${findings} findings stored)`,
      `  crashes        ${crashes}`,
      `  restarts       ${[...restarts.values()].reduce((a, b) => a + b, 0)} (${[...restarts].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
      `  escalations    ${escalations}`,
      `  tree           ${rootAlive ? 'survived every fault and was shut down cleanly' : 'gave up (too many failures at the root)'}`,
      `  processes left ${rt.processCount}`,
    ];
    io.stdout.write(`\n${report.join('\n')}\n`);
    return 0;
  },
};

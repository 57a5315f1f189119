/**
 * The demo's supervision tree: a small research team of "agents" that fail the way real ones
 * do (an overloaded provider, a hallucinated tool, malformed JSON, a tool that times out) and
 * never handle it themselves: supervisors restart them. Faults come from a seeded random
 * source, so a run with the same seed on the virtual clock is identical every time.
 *
 *   root            one_for_one   intensity 10 / 10 s
 *   ├─ pipeline     rest_for_one  intensity 4 / 5 s   (search → extract → synthesize)
 *   ├─ tools        dynamic       transient tool calls started by the agents
 *   └─ librarian    a server the agents call to store their findings
 */
import { reply, type ProcessContext, type Random, type ServerBehaviour } from '../../runtime/index.ts';
import {
  server,
  startChild,
  supervisor,
  worker,
  type SupervisorSpec,
} from '../../supervisor/index.ts';

export interface AgentStatus {
  steps: number;
  toolCalls: number;
}

/** What the agents report, for the live view. */
export class DemoStats {
  readonly agents = new Map<string, AgentStatus>();
  findings = 0;

  agent(id: string): AgentStatus {
    let s = this.agents.get(id);
    if (s === undefined) this.agents.set(id, (s = { steps: 0, toolCalls: 0 }));
    return s;
  }
}

const FAULTS = [
  () => new Error('upstream 529: model provider overloaded'),
  () => new Error("unknown tool 'web_serch' (hallucinated by the model)"),
  () => new SyntaxError('model returned malformed JSON'),
  () => new RangeError('context window exceeded (131072 tokens)'),
];

function agent(id: string, random: Random, stats: DemoStats, crashRate: number) {
  return worker(async (ctx: ProcessContext) => {
    const me = stats.agent(id);
    for (;;) {
      await ctx.sleep(250 + Math.floor(random() * 600));
      if (random() < crashRate) throw (FAULTS[Math.floor(random() * FAULTS.length)] as () => Error)();
      me.steps++;
      if (random() < 0.35) {
        me.toolCalls++;
        await startChild(ctx, 'tools', { tool: random() < 0.5 ? 'fetch_page' : 'search_web', by: id });
      }
      if (random() < 0.3) ctx.cast('librarian', { finding: `${id}#${me.steps}` });
    }
  });
}

function tool(random: Random) {
  return worker(async (ctx: ProcessContext) => {
    await ctx.sleep(100 + Math.floor(random() * 400));
    if (random() < 0.2) throw new Error('tool call timed out after 30 s');
  });
}

/** Keeps the team's findings; agents cast to it, the report calls it. */
const librarian: ServerBehaviour<{ findings: string[]; stats: DemoStats }, DemoStats> = {
  init: (_ctx, stats) => ({ findings: [], stats }),
  handleCast: (msg, state) => {
    const finding = (msg as { finding?: unknown }).finding;
    if (typeof finding === 'string') {
      state.findings.push(finding);
      state.stats.findings = state.findings.length;
    }
    return state;
  },
  handleCall: (_req, _from, state) => reply(state.findings.length, state),
};

/** The demo tree. `crashRate` is the chance that an agent step fails. */
export function demoTree(random: Random, stats: DemoStats, crashRate: number): SupervisorSpec {
  return {
    name: 'root',
    strategy: 'one_for_one',
    intensity: 10,
    periodSeconds: 10,
    children: [
      {
        id: 'librarian',
        start: server(librarian, stats, { name: 'librarian' }),
      },
      {
        id: 'tools',
        start: supervisor(
          {
            name: 'tools',
            strategy: 'dynamic',
            intensity: 20,
            periodSeconds: 10,
            template: { id: 'tool', start: tool(random), restart: 'transient', shutdown: 1000 },
          },
          { register: 'tools' },
        ),
      },
      {
        id: 'pipeline',
        start: supervisor({
          name: 'pipeline',
          strategy: 'rest_for_one',
          intensity: 4,
          periodSeconds: 5,
          children: ['search', 'extract', 'synthesize'].map((id) => ({ id, start: agent(id, random, stats, crashRate) })),
        }),
      },
    ],
  };
}

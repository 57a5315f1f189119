/**
 * The commands of the `warden` CLI: each one's name and one-line summary, and how to load it.
 * A command's module (and the layers it needs: the model SDKs, the store drivers, the MCP SDK)
 * is imported only when that command runs or shows its help, so `warden --help` and a mistyped
 * command answer at once instead of loading every layer first.
 */
import type { Command } from './command.ts';

export interface CommandEntry {
  readonly name: string;
  /** One line for `warden --help`. */
  readonly summary: string;
  /** Import the command's module. */
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'a research pipeline of durable agents against a flaky simulated model, recovering as you watch',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
  {
    name: 'company',
    summary: 'eight department agents run a one-person company on a schedule, through crashes and restarts; --virtual runs a week in a minute',
    load: async () => (await import('./commands/company.ts')).companyCommand,
  },
  {
    name: 'conformance',
    summary: "run OTP conformance scenarios on Warden's supervisors",
    load: async () => (await import('./commands/conformance.ts')).conformanceCommand,
  },
  {
    name: 'sim',
    summary: 'run the simulated model server (OpenAI and Anthropic APIs, scripted answers)',
    load: async () => (await import('./commands/sim.ts')).simCommand,
  },
  {
    name: 'chaos-proxy',
    summary: 'inject provider failures (429, 529, 5xx, hangs, resets, cut streams) in front of an endpoint',
    load: async () => (await import('./commands/chaos-proxy.ts')).chaosProxyCommand,
  },
  { name: 'runs', summary: 'list, inspect, resume and cancel durable runs', load: async () => (await import('./commands/runs.ts')).runsCommand },
  { name: 'dlq', summary: 'list, inspect, replay and discard dead letters', load: async () => (await import('./commands/dlq.ts')).dlqCommand },
  { name: 'approvals', summary: 'list pending approvals; approve or deny them', load: async () => (await import('./commands/approvals.ts')).approvalsCommand },
  { name: 'quarantine', summary: 'list quarantined inputs and release them', load: async () => (await import('./commands/quarantine.ts')).quarantineCommand },
  {
    name: 'schedules',
    summary: 'list and inspect schedules and their slots; pause, resume and trigger them',
    load: async () => (await import('./commands/schedules.ts')).schedulesCommand,
  },
  {
    name: 'dashboard',
    summary: 'a live web page over the store: trees, breakers, budgets, runs, dead letters, approvals',
    load: async () => (await import('./commands/dashboard.ts')).dashboardCommand,
  },
  {
    name: 'cluster',
    summary: 'the nodes of a cluster on one Postgres: liveness, what each runs, shared breakers and budgets',
    load: async () => (await import('./commands/cluster.ts')).clusterCommand,
  },
  {
    name: 'memory',
    summary: 'the memory server: a knowledge graph over MCP (stdio or HTTP); import and export JSONL',
    load: async () => (await import('./commands/memory.ts')).memoryCommand,
  },
];

/**
 * The company's report: per job, how many slots came due (from the calendar) and how many
 * happened once, never or twice (from the ledger, the record the side effects themselves left);
 * then each department's and the memory server's failures with MTBF and MTTR, the alerts raised,
 * the cost, and what was replayed from the journal instead of paid for again. The last line is
 * always `slots: <due> due, <once> ran once, <missed> missed, <doubled> doubled`.
 */
import { COMPANY_JOBS } from './jobs.ts';
import { slotId, type Ledger } from './ledger.ts';
import { dueSlots } from './slots.ts';
import type { CompanyStats } from './stats.ts';

export interface SlotTally {
  readonly due: number;
  readonly once: number;
  readonly missed: number;
  readonly doubled: number;
  readonly byJob: ReadonlyMap<string, { due: number; once: number; missed: number; doubled: number }>;
  /** The slots missed or doubled (`job@time`), for the report. */
  readonly wrong: readonly string[];
}

/** Count the due slots of [fromMs, toMs) against the ledger. */
export function tallySlots(ledger: Ledger, fromMs: number, toMs: number): SlotTally {
  const counts = ledger.counts();
  const byJob = new Map(COMPANY_JOBS.map((j) => [j.name, { due: 0, once: 0, missed: 0, doubled: 0 }]));
  const wrong: string[] = [];
  for (const { job, slot } of dueSlots(COMPANY_JOBS, fromMs, toMs)) {
    const t = byJob.get(job)!;
    const n = counts.get(slotId(job, slot)) ?? 0;
    t.due++;
    if (n === 0) t.missed++;
    else if (n === 1) t.once++;
    else t.doubled++;
    if (n !== 1) wrong.push(`${slotId(job, slot)} ${n === 0 ? 'missed' : `done ${n} times`}`);
  }
  const sum = (k: 'due' | 'once' | 'missed' | 'doubled'): number => [...byJob.values()].reduce((a, t) => a + t[k], 0);
  return { due: sum('due'), once: sum('once'), missed: sum('missed'), doubled: sum('doubled'), byJob, wrong };
}

export function slotsLine(t: SlotTally): string {
  return `slots: ${t.due} due, ${t.once} ran once, ${t.missed} missed, ${t.doubled} doubled`;
}

/** A duration as `2d 4h`, `3h 10m`, `12m`, `40s`, `0s`. */
export function span(ms: number): string {
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export const usd = (n: number): string => `$${n.toFixed(6)}`;

/** MTBF and MTTR of a component over `windowMs`: uptime per failure, downtime per failure. */
export function reliabilityLine(name: string, failures: number, downMs: number, windowMs: number): string {
  if (failures === 0) return `${name} no failures`;
  return `${name} ${failures} failure${failures === 1 ? '' : 's'}, MTBF ${span((windowMs - downMs) / failures)}, MTTR ${span(downMs / failures)}`;
}

export interface ReportInput {
  readonly tally: SlotTally;
  readonly stats: CompanyStats;
  readonly windowMs: number;
  readonly spentUsd: number;
  readonly budgetUsd: number;
  readonly alerts: readonly string[];
  readonly extra: readonly string[];
}

export function renderReport(r: ReportInput): string {
  const pad = (k: string): string => `  ${k.padEnd(13)}`;
  const indent = ' '.repeat(15);
  const { tally, stats } = r;
  const lines = ['', 'report'];
  const jobs = COMPANY_JOBS.map((j) => {
    const t = tally.byJob.get(j.name)!;
    return `${j.describe}: ${t.due} due, ${t.once} once${t.missed > 0 ? `, ${t.missed} missed` : ''}${t.doubled > 0 ? `, ${t.doubled} doubled` : ''}`;
  });
  lines.push(`${pad('jobs')}${jobs.join(`\n${indent}`)}`);
  if (tally.wrong.length > 0) lines.push(`${pad('not once')}${tally.wrong.join(`\n${indent}`)}`);
  const faults = [...stats.faults].map(([k, n]) => `${k} ×${n}`).join(', ');
  lines.push(
    `${pad('trouble')}${faults || 'no provider faults'}; ${stats.agentCrashes} agent kills, ${stats.memoryKills} memory-server kills, ${stats.hostRestarts} host restarts`,
  );
  lines.push(`${pad('recovery')}${stats.retries} retries, ${stats.fallbacks} fallbacks, ${stats.restarts} restarts by supervisors`);
  const rate = tally.due === 0 ? 100 : (100 * tally.once) / tally.due;
  lines.push(`${pad('success rate')}${rate.toFixed(1)}% (${tally.once} of ${tally.due} due slots ran exactly once)`);
  const names = [...stats.components.keys()].sort();
  const reliability = names.map((n) => {
    const c = stats.component(n);
    return reliabilityLine(n, c.failures, c.downMs, r.windowMs);
  });
  lines.push(`${pad('MTBF/MTTR')}${reliability.join(`\n${indent}`) || 'no failures'}`);
  lines.push(`${pad('alerts')}${r.alerts.length === 0 ? 'none raised' : r.alerts.join(`\n${indent}`)}`);
  lines.push(`${pad('cost')}${usd(r.spentUsd)} of the ${usd(r.budgetUsd)} budget, ${stats.paidCalls} model calls paid`);
  lines.push(
    `${pad('replayed')}${stats.replayedCalls} model calls (${usd(stats.replayedUsd)}) and ${stats.replayedSteps} journaled steps replayed from the journal instead of paid for or done again`,
  );
  for (const line of r.extra) lines.push(line);
  lines.push(slotsLine(tally));
  return lines.join('\n');
}

/**
 * What the demo shows: one line per event that matters as it happens (model calls and what they
 * cost, faults injected, retries, fallbacks, breaker transitions, guards, compactions, crashes,
 * restarts, replays), the live tree, and the counters the final report is made of. Plain lines,
 * readable in a CI log; colours only on a terminal, never with NO_COLOR.
 */
import { styleText } from 'node:util';
import { Crash, formatReason, isNormalExit, type Pid, type WardenEvent } from '../../runtime/index.ts';
import type { TreeNode } from '../../supervisor/index.ts';

type Style = Parameters<typeof styleText>[0];

export class Painter {
  private readonly color: boolean;

  constructor(color: boolean) {
    this.color = color;
  }

  paint(style: Style, text: string): string {
    return this.color ? styleText(style, text, { validateStream: false }) : text;
  }
}

/** Seconds since the start, right-aligned: `  3.42s`. */
export function clockLabel(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`.padStart(8);
}

export function usd(n: number): string {
  return `$${n >= 0.01 ? n.toFixed(2) : n.toFixed(6)}`;
}

/** A budget amount: dollars as `usd`, counts (steps, tokens) as whole numbers. */
function amount(unit: string, n: number): string {
  return unit === 'usd' ? usd(n) : String(Math.round(n));
}

export interface StageStats {
  modelCalls: number;
  replayedCalls: number;
  replayedUsd: number;
  replayedSteps: number;
  costUsd: number;
  toolCalls: number;
  restarts: number;
  crashes: string[];
  done: boolean;
}

/** Everything the live view and the report count. */
export class DemoStats {
  readonly stages = new Map<string, StageStats>();
  readonly pids = new Map<string, Pid>();
  readonly breakers = new Map<string, string>();
  readonly breakerOpenings = new Map<string, number>();
  readonly faults = new Map<string, number>();
  readonly levels = { primary: 0, fallback: 0, cache: 0, static: 0 };
  requests = 0;
  retries = 0;
  fallbacks = 0;
  streamCuts = 0;
  resumedStreams = 0;
  reasks = 0;
  escalations = 0;
  readonly guards: string[] = [];
  readonly compactions: string[] = [];
  deadLettersAdded = 0;
  /** Dead letter id → the run it holds. */
  readonly letters = new Map<string, string>();
  deadLettersDiscarded = 0;
  spentUsd = 0;
  tokens = 0;
  /** The whole demo's spend so far (its budget scope: every attempt, summaries included). */
  total: () => number = () => this.spentUsd;

  stage(name: string): StageStats {
    let s = this.stages.get(name);
    if (s === undefined) {
      s = { modelCalls: 0, replayedCalls: 0, replayedUsd: 0, replayedSteps: 0, costUsd: 0, toolCalls: 0, restarts: 0, crashes: [], done: false };
      this.stages.set(name, s);
    }
    return s;
  }
}

const COLUMN = 11;

/** How the report and the live lines name each kind of injected fault. */
export const FAULT_NAMES: Readonly<Record<string, string>> = {
  rate_limit: '429 rate limited',
  overloaded: '529 overloaded',
  status: 'error status',
  latency: 'latency',
  hang: 'hang',
  reset: 'connection reset',
  truncate: 'truncated body',
  malformed: 'malformed body',
  cut_stream: 'stream cut',
};

function who(name: string, p: Painter): string {
  return p.paint('cyan', name.padEnd(COLUMN));
}

function crashText(reason: unknown): string {
  if (reason instanceof Crash) {
    const e = reason.error as { name?: string; code?: string; message?: string };
    return `${e.code ?? e.name ?? 'Error'}: ${(e.message ?? '').replace(/^agent "[^"]+" \(run [^)]+\)(, step \d+)?: /, '')}`;
  }
  return formatReason(reason as never);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Where a line's detail starts: after the clock (8), two spaces and the who column (11). */
const DETAIL_INDENT = ' '.repeat(8 + 2 + COLUMN);

/** A cause shown whole: wrapped onto indented lines, never cut, since the cause is the point. */
function whole(text: string): string {
  return wrap(text, 90, DETAIL_INDENT);
}

/** Count `e` and describe it in one line, or undefined for events the demo does not show. */
export function describeEvent(e: WardenEvent, stats: DemoStats, p: Painter): string | undefined {
  switch (e.type) {
    case 'chaos.request':
      stats.requests++;
      if (e.fault === undefined) return undefined;
      stats.faults.set(e.fault, (stats.faults.get(e.fault) ?? 0) + 1);
      if (e.fault === 'latency') return `${who('chaos', p)}${p.paint('dim', `latency added to ${e.method} ${e.path}`)}`;
      return `${who('chaos', p)}${p.paint('magenta', FAULT_NAMES[e.fault] ?? e.fault)} injected into ${e.method} ${e.path} (${e.rule ?? ''})`;
    case 'llm.attempt_failed':
      return `${who('model', p)}${e.provider}:${e.model} attempt ${e.attempt} failed: ${p.paint('red', e.error.code ?? e.error.name)}${e.error.status === undefined ? '' : ` (${e.error.status})`}`;
    case 'retry.attempt_failed':
      if (e.delayMs === undefined) return undefined;
      stats.retries++;
      {
        const error = e.error as { code?: unknown; retryAfterMs?: unknown } | null;
        const why =
          error?.code === 'BROKEN_CIRCUIT'
            ? ' (when the breaker lets a probe through)'
            : error?.retryAfterMs !== undefined
              ? ' (Retry-After)'
              : ' (backoff with jitter)';
        return `${who('model', p)}${p.paint('yellow', '↻')} retry in ${Math.round(e.delayMs)} ms${why}`;
      }
    case 'llm.fallback':
      stats.fallbacks++;
      return `${who('model', p)}${p.paint('yellow', '↪')} fallback ${e.from.provider}:${e.from.model} → ${e.to.provider}:${e.to.model} (${e.error.code ?? e.error.name})`;
    case 'llm.stream_error':
      stats.streamCuts++;
      if (e.action === 'resume') stats.resumedStreams++;
      return `${who('model', p)}${p.paint('red', 'stream cut')} after ${e.eventsReceived} events: ${e.action === 'resume' ? `keeping the ${e.partialTextChars} characters received and resuming` : 'partial answer discarded'}`;
    case 'breaker.state_changed':
      stats.breakers.set(e.breaker, e.to);
      if (e.to === 'open') stats.breakerOpenings.set(e.breaker, (stats.breakerOpenings.get(e.breaker) ?? 0) + 1);
      return `${who('breaker', p)}${e.breaker} ${e.from} → ${p.paint(e.to === 'open' ? 'red' : e.to === 'closed' ? 'green' : 'yellow', e.to)}`;
    case 'agent.model_called': {
      const s = stats.stage(e.agent);
      if (e.replayed) {
        s.replayedCalls++;
        s.replayedSteps++;
        s.replayedUsd += e.costUsd;
        return `${who(e.agent, p)}model#${e.step} ${p.paint('blue', 'replayed from the journal')}: ${usd(e.costUsd)} not paid again`;
      }
      s.modelCalls++;
      s.costUsd += e.costUsd;
      stats.spentUsd += e.costUsd;
      stats.tokens += e.usage.totalTokens;
      if (e.level === 'invalid')
        return `${who(e.agent, p)}model#${e.step} ← ${e.provider}:${e.model}, ${usd(e.costUsd)}: ${p.paint('red', 'answer fails the output schema')}`;
      stats.levels[e.level]++;
      const level = e.level === 'primary' ? p.paint('green', e.level) : p.paint('yellow', e.level);
      const calls = e.toolCalls.length === 0 ? 'answers' : `calls ${e.toolCalls.join(', ')}`;
      return `${who(e.agent, p)}model#${e.step} ← ${e.provider}:${e.model} [${level}] ${usd(e.costUsd)} · ${calls} ${p.paint('dim', `(spent ${usd(stats.total())})`)}`;
    }
    case 'agent.tool_called': {
      const s = stats.stage(e.agent);
      if (e.replayed) {
        s.replayedSteps++;
        return `${who(e.agent, p)}tool ${e.tool} ${p.paint('blue', 'replayed from the journal')}`;
      }
      s.toolCalls++;
      return `${who(e.agent, p)}tool ${e.tool} ${e.outcome === 'ok' ? p.paint('green', '✓') : p.paint('red', e.outcome)}`;
    }
    case 'agent.output_rejected':
      stats.reasks++;
      return `${who(e.agent, p)}${p.paint('yellow', 'answer rejected')} by the output schema (${e.attempt} of ${e.maxAttempts}): ${whole(`${e.problem}; asking again with the problem`)}`;
    case 'agent.compacted':
      if (!e.replayed) stats.compactions.push(`${e.agent}: ${e.tokensBefore} → ${e.tokensAfter} tokens`);
      return `${who(e.agent, p)}${p.paint('magenta', 'context compacted')}${e.replayed ? ' (replayed)' : ''}: ${e.tokensBefore} → ${e.tokensAfter} tokens, ${plural(e.summarizedMessages, 'message')} summarised, ${plural(e.clearedToolResults, 'tool result')} cleared; kept in the journal as ${e.offloaded.join(', ') || '-'}`;
    case 'agent.guard_tripped':
      stats.guards.push(`${e.error.code ?? e.guard} (${e.agent})`);
      return `${who(e.agent, p)}${p.paint(['bold', 'red'], `guard ${e.error.code ?? e.guard}`)}: ${whole(e.error.message.replace(/^agent "[^"]+" \(run [^)]+\)(, step \d+)?: /, ''))}`;
    case 'agent.completed': {
      const s = stats.stage(e.agent);
      s.done = true;
      return `${who(e.agent, p)}${p.paint('green', '✓ done')}: ${e.steps} model calls in the run, ${e.replayedSteps} journal entries replayed`;
    }
    case 'run.resumed':
      return `${who(e.name.replace(/^agent:/, ''), p)}resuming run ${e.runId} from its journal (${e.journaled} entries)`;
    case 'budget.exceeded':
      return `${who('budget', p)}${p.paint('red', `${e.scope} ${e.phase}`)}: ${e.unit} cap ${amount(e.unit, e.limit)}, spent ${amount(e.unit, e.spent)}`;
    case 'dlq.added':
      stats.deadLettersAdded++;
      stats.letters.set(e.id, e.runId ?? e.source);
      return `${who('journal', p)}run ${e.runId ?? ''} put in the dead-letter queue`;
    case 'dlq.discarded':
      stats.deadLettersDiscarded++;
      return `${who('journal', p)}dead letter of ${stats.letters.get(e.id) ?? 'a run'} discarded: the run completed after its restart`;
    case 'supervisor.child_started':
    case 'supervisor.child_restarted':
      stats.pids.set(e.childId, e.pid);
      if (e.type === 'supervisor.child_started') return undefined;
      stats.stage(e.childId).restarts++;
      return `${p.paint('green', '↻')} ${e.name}/${e.childId} restarted as ${String(e.pid)}`;
    case 'supervisor.child_exited':
      if (isNormalExit(e.reason)) return undefined;
      if (e.childId === 'search' || e.childId === 'extract' || e.childId === 'synthesize') stats.stage(e.childId).crashes.push(crashText(e.reason));
      return `${p.paint('red', '✗')} ${e.name}/${e.childId} ${p.paint('red', 'exited')}: ${whole(crashText(e.reason))}`;
    case 'supervisor.child_terminated':
      return `${p.paint('yellow', '■')} ${e.name}/${e.childId} stopped by its supervisor (${e.name === 'pipeline' ? 'rest_for_one: it started after the failed child' : formatReason(e.reason)})`;
    case 'supervisor.escalated':
      stats.escalations++;
      return `${p.paint(['bold', 'magenta'], '⇧')} ${e.name} gave up: ${e.restarts} restarts in ${e.periodSeconds}s > intensity ${e.intensity}; escalating`;
    case 'watchdog.soft_stop':
      return `${who('watchdog', p)}${String(e.pid)} showed no progress for ${Math.round(e.timeoutMs)} ms: asked to stop`;
    case 'watchdog.killed':
      return `${who('watchdog', p)}${String(e.pid)} killed after ${Math.round(e.graceMs)} ms grace`;
    default:
      return undefined;
  }
}

/** The tree, one line per node, with the stages' counters. */
export function renderTree(root: TreeNode, stats: DemoStats, p: Painter): string {
  const lines: string[] = [];
  const walk = (node: TreeNode, prefix: string, isLast: boolean, depth: number): void => {
    const branch = depth === 0 ? '' : isLast ? '└─ ' : '├─ ';
    const status =
      node.pid === undefined ? p.paint('yellow', 'ended') : node.pid === 'restarting' ? p.paint('yellow', 'restarting') : p.paint('green', 'running');
    const s = stats.stages.get(node.id);
    const extra = [
      node.type === 'supervisor' ? p.paint('dim', `${node.children.length} children`) : '',
      s === undefined ? '' : `${s.modelCalls} model calls paid${s.replayedCalls > 0 ? `, ${s.replayedCalls} replayed` : ''}, ${usd(s.costUsd)}`,
      s !== undefined && s.restarts > 0 ? p.paint('yellow', `restarts ${s.restarts}`) : '',
      s?.done === true ? p.paint('green', 'done') : '',
    ].filter((x) => x !== '');
    const pid = typeof node.pid === 'object' ? p.paint('dim', String(node.pid)) : '';
    const head = [p.paint('bold', node.id), pid, status].filter((x) => x !== '').join(' ');
    lines.push(`${prefix}${branch}${head}${extra.length > 0 ? `  ${extra.join(' · ')}` : ''}`);
    const next = depth === 0 ? '' : prefix + (isLast ? '   ' : '│  ');
    node.children.forEach((c, i) => {
      walk(c, next, i === node.children.length - 1, depth + 1);
    });
  };
  walk(root, '', true, 0);
  return lines.join('\n');
}

/** The pipeline as the events tell it (pids of the current incarnations, stages done): one line, no call needed. */
export function treeLine(stats: DemoStats, stages: readonly string[], p: Painter): string {
  const parts = stages.map((name) => {
    const pid = stats.pids.get(name);
    const s = stats.stages.get(name);
    return `${name} ${pid === undefined ? '' : `${String(pid)} `}${s?.done === true ? p.paint('green', 'done') : 'running'}`;
  });
  return `${p.paint('bold', 'tree now')}: root ─ board ${String(stats.pids.get('board') ?? '')}, pipeline (rest_for_one) ─ ${parts.join(' · ')}`;
}

/** Wrap `text` to `width` columns, every line indented by `indent`. */
export function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`)).join('\n');
}

/**
 * Terminal rendering for the demo: one line per supervision event as it happens, and the
 * live tree (status, restarts, steps). Colours only on a terminal, and never when NO_COLOR
 * is set.
 */
import { styleText } from 'node:util';
import { Crash, formatReason, isNormalExit, type WardenEvent } from '../../runtime/index.ts';
import type { TreeNode } from '../../supervisor/index.ts';
import type { DemoStats } from './agents.ts';

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

/** A one-line description of a supervision event, or undefined for events the demo does not show. */
export function describeEvent(e: WardenEvent, p: Painter): string | undefined {
  switch (e.type) {
    case 'supervisor.child_exited':
      if (isNormalExit(e.reason)) {
        return e.name === 'tools' ? undefined : `${p.paint('yellow', '■')} ${e.name}/${e.childId} exited (${formatReason(e.reason)})`;
      }
      return `${p.paint('red', '✗')} ${e.name}/${e.childId} ${p.paint('red', 'crashed')}: ${e.reason instanceof Crash ? e.reason.describe() : formatReason(e.reason)}`;
    case 'supervisor.child_restarted':
      return `${p.paint('green', '↻')} ${e.name}/${e.childId} restarted as ${String(e.pid)}`;
    case 'supervisor.child_terminated':
      if (e.name === 'tools') return undefined;
      return `${p.paint('yellow', '■')} ${e.name}/${e.childId} stopped by its supervisor (${formatReason(e.reason)})`;
    case 'supervisor.escalated':
      return `${p.paint(['bold', 'magenta'], '⇧')} ${e.name} gave up: ${e.restarts} restarts in ${e.periodSeconds}s > intensity ${e.intensity}; escalating to its parent`;
    case 'supervisor.child_start_failed':
      return `${p.paint('red', '!')} ${e.name}/${e.childId} failed to start: ${formatReason(e.reason)}`;
    default:
      return undefined;
  }
}

/** The tree, one line per node, with the demo's counters. */
export function renderTree(root: TreeNode, stats: DemoStats, restarts: ReadonlyMap<string, number>, p: Painter): string {
  const lines: string[] = [];
  const walk = (node: TreeNode, prefix: string, isLast: boolean, depth: number): void => {
    const branch = depth === 0 ? '' : isLast ? '└─ ' : '├─ ';
    const status =
      node.pid === undefined ? p.paint('yellow', 'stopped') : node.pid === 'restarting' ? p.paint('yellow', 'restarting') : p.paint('green', 'running');
    const agent = stats.agents.get(node.id);
    const extra = [
      node.type === 'supervisor' ? p.paint('cyan', `${node.children.length} children`) : '',
      agent === undefined ? '' : `steps ${agent.steps}, tool calls ${agent.toolCalls}`,
      (restarts.get(node.id) ?? 0) > 0 ? p.paint('yellow', `restarts ${restarts.get(node.id)}`) : '',
      node.id === 'librarian' ? `findings ${stats.findings}` : '',
    ].filter((x) => x !== '');
    const pid = typeof node.pid === 'object' ? p.paint('dim', String(node.pid)) : '';
    if (node.id.startsWith('<')) return;
    lines.push(`${prefix}${branch}${p.paint('bold', node.id)} ${pid} ${status}${extra.length > 0 ? `  ${extra.join(', ')}` : ''}`);
    const shown = node.children.filter((c) => !String(c.id).startsWith('<'));
    const hidden = node.children.length - shown.length;
    const next = depth === 0 ? '' : prefix + (isLast ? '   ' : '│  ');
    shown.forEach((c, i) => walk(c, next, i === shown.length - 1 && hidden === 0, depth + 1));
    if (hidden > 0) lines.push(`${next}└─ ${p.paint('dim', `${hidden} tool call${hidden === 1 ? '' : 's'} in flight`)}`);
  };
  walk(root, '', true, 0);
  return lines.join('\n');
}

/**
 * What a failing probe or a low score does, and its undoing when it passes again. Restarts and
 * terminations go through the supervisor's API (`terminateChild`, then `restartChild`), never
 * by killing the process by hand, so the supervisor's bookkeeping, shutdown spec and events stay
 * the one truth. Each action is a `health.action_taken` event, emitted before its supervisor
 * calls; a refusal is a `health.action_failed` event, never a thrown error (a health check must
 * not crash what it watches, nor itself).
 */
import type { EventBus, Runtime } from '../runtime/index.ts';
import { restartChild, terminateChild } from '../supervisor/index.ts';
import { messageOf } from './deadline.ts';
import type { HealthActionRecord } from './events.ts';
import type { MovableLadder } from './level-ladder.ts';
import type { HealthAction } from './options.ts';
import type { HealthLevel } from './report.ts';

/** Who acts: the probe or monitor, its level and the child it speaks for. */
export interface ActionSource {
  readonly name: string;
  readonly level: HealthLevel;
  readonly child: string;
}

/** What the actions share: the runtime, the bus, and the health's set of unhealthy children. */
export interface ActionContext {
  readonly health: string;
  readonly runtime: Runtime;
  readonly bus: EventBus;
  /** Child → the sources that marked it unhealthy. */
  readonly unhealthy: Map<string, Set<string>>;
  /** Called after a restart, so the source can forget what it measured of the old incarnation. */
  readonly onRestarted?: (source: ActionSource) => void;
}

function emit(ctx: ActionContext, source: ActionSource, record: HealthActionRecord): void {
  ctx.bus.emit({ type: 'health.action_taken', health: ctx.health, source: source.name, level: source.level, ...record });
}

/** Run the actions of a failure, in order. Resolves when the supervisor calls are answered. */
export async function actOnFailure(ctx: ActionContext, source: ActionSource, actions: readonly HealthAction[]): Promise<void> {
  for (const action of actions) {
    switch (action.kind) {
      case 'mark_unhealthy': {
        const by = ctx.unhealthy.get(source.child) ?? new Set<string>();
        if (by.has(source.name)) break;
        by.add(source.name);
        ctx.unhealthy.set(source.child, by);
        emit(ctx, source, { action: 'mark_unhealthy', child: source.child });
        break;
      }
      case 'restart':
      case 'terminate': {
        const supervisor = String(action.supervisor);
        const pid = typeof action.supervisor === 'string' ? ctx.runtime.whereis(action.supervisor) : action.supervisor;
        emit(ctx, source, { action: action.kind, supervisor, supervisorPid: pid === undefined ? null : String(pid), childId: action.childId });
        const error = await viaSupervisor(ctx, action);
        if (error !== undefined) {
          ctx.bus.emit({
            type: 'health.action_failed',
            health: ctx.health,
            source: source.name,
            action: action.kind,
            supervisor,
            childId: action.childId,
            error,
          });
        } else if (action.kind === 'restart') ctx.onRestarted?.(source);
        break;
      }
      case 'degrade':
        move(ctx, source, action.ladder, 'degrade');
        break;
    }
  }
}

/** Undo what can be undone once the source passes: clear its mark; step ladders back up after enough passes. */
export function actOnPass(ctx: ActionContext, source: ActionSource, actions: readonly HealthAction[], passesInARow: number): void {
  const by = ctx.unhealthy.get(source.child);
  if (by?.delete(source.name) === true) {
    if (by.size === 0) ctx.unhealthy.delete(source.child);
    emit(ctx, source, { action: 'mark_healthy', child: source.child });
  }
  for (const action of actions) {
    if (action.kind !== 'degrade' || action.restoreAfterPasses === undefined) continue;
    if (passesInARow > 0 && passesInARow % action.restoreAfterPasses === 0) move(ctx, source, action.ladder, 'restore');
  }
}

function move(ctx: ActionContext, source: ActionSource, ladder: MovableLadder, direction: 'degrade' | 'restore'): void {
  const from = ladder.level;
  let failure: unknown;
  try {
    if (direction === 'degrade') ladder.stepDown();
    else ladder.stepUp();
  } catch (error) {
    failure = error; // the user's onChange threw; the ladder has moved all the same
  }
  const to = ladder.level;
  if (to !== from) emit(ctx, source, { action: direction, ladder: ladder.name, from, to });
  if (failure !== undefined) {
    ctx.bus.emit({ type: 'health.action_failed', health: ctx.health, source: source.name, action: direction, ladder: ladder.name, error: messageOf(failure) });
  }
}

/** Terminate (and for a restart, start again) through the supervisor; the refusal as a message, if any. */
async function viaSupervisor(ctx: ActionContext, action: Extract<HealthAction, { kind: 'restart' | 'terminate' }>): Promise<string | undefined> {
  try {
    const terminated = await terminateChild(ctx.runtime, action.supervisor, action.childId);
    if (!terminated.ok) return `terminateChild answered ${terminated.error}`;
    if (action.kind === 'terminate') return undefined;
    const restarted = await restartChild(ctx.runtime, action.supervisor, action.childId);
    if (!restarted.ok) return `restartChild answered ${restarted.error}`;
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

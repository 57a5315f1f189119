/**
 * Approval policies: which actions must wait for a person. Enforced in code, at the step or
 * effect, never by asking the model nicely. A policy looks at the action (its kind, name, tool,
 * arguments, estimated cost, and whether it was marked irreversible) and answers with the reason
 * it needs approval, or nothing. The host checks its policies in order; the first reason wins.
 * Actions marked `irreversible: true` always need approval.
 */
import type { Json } from '../store/index.ts';

/** What a step or effect is about to do, as the policies see it. */
export interface ActionDescriptor {
  readonly runId: string;
  readonly runName: string;
  readonly kind: 'step' | 'effect';
  /** The step or effect name. */
  readonly name: string;
  /** The tool this action calls, when it is a tool call. */
  readonly tool?: string;
  /** Its arguments (recorded with the approval request). */
  readonly args?: Json;
  /** Estimated cost, USD. */
  readonly costUsd?: number;
  readonly irreversible: boolean;
}

/** The reason the action needs approval, or `undefined`/`false` when it does not. */
export type ApprovalPolicy = (action: ActionDescriptor) => string | undefined | false;

function at(value: Json | undefined, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Ready-made policies. */
export const requireApproval = {
  /** Actions marked `irreversible: true` (always applied by the host as well). */
  irreversible: (): ApprovalPolicy => (a) => (a.irreversible ? 'marked irreversible' : undefined),

  /** Calls to these tools (matched against `tool`, else the action name). */
  forTools:
    (...tools: readonly string[]): ApprovalPolicy =>
    (a) => {
      const name = a.tool ?? a.name;
      return tools.includes(name) ? `tool "${name}" requires approval` : undefined;
    },

  /**
   * Actions whose argument at `path` (dotted, e.g. `to` or `payment.amount`) matches: a RegExp
   * tested against the value as a string, or a predicate.
   */
  whenArgument:
    (path: string, match: RegExp | ((value: unknown) => boolean)): ApprovalPolicy =>
    (a) => {
      if (a.args === undefined) return undefined;
      const v = at(a.args, path);
      if (v === undefined) return undefined;
      const hit = match instanceof RegExp ? match.test(typeof v === 'string' ? v : JSON.stringify(v)) : match(v);
      return hit ? `argument ${path} matches the approval policy` : undefined;
    },

  /** Actions whose estimated cost is above `usd`. */
  aboveCost:
    (usd: number): ApprovalPolicy =>
    (a) =>
      a.costUsd !== undefined && a.costUsd > usd ? `estimated cost $${a.costUsd} is above $${usd}` : undefined,
} as const;

/** The first reason any policy gives, with `irreversible` always checked first. */
export function approvalReason(policies: readonly ApprovalPolicy[], action: ActionDescriptor): string | undefined {
  if (action.irreversible) return 'marked irreversible';
  for (const p of policies) {
    const r = p(action);
    if (typeof r === 'string' && r !== '') return r;
  }
  return undefined;
}

/**
 * A snapshot of a whole supervision tree, for the CLI and the dashboard: each supervisor's
 * children in start order, nested supervisors expanded. It is built from `whichChildren`
 * calls, one per supervisor, so each level is consistent but the levels are read one after
 * the other (a restart between two reads shows in the second).
 */
import { Runtime, type Dest, type Pid } from '../runtime/index.ts';
import { whichChildren, type Caller } from './api.ts';
import type { ChildType } from './spec.ts';

export interface TreeNode {
  readonly id: string;
  readonly pid: Pid | 'restarting' | undefined;
  readonly type: ChildType;
  /** A supervisor's children (empty for workers, and for a supervisor that is not running). */
  readonly children: readonly TreeNode[];
}

/** Read the tree under `sup`; the root node's id is `rootId`. */
export async function inspectTree(caller: Caller, sup: Dest, rootId = 'root'): Promise<TreeNode> {
  const runtime = caller instanceof Runtime ? caller : caller.runtime;
  const pid = typeof sup === 'string' ? runtime.whereis(sup) : sup;
  return { id: rootId, pid, type: 'supervisor', children: await childrenOf(caller, sup) };
}

async function childrenOf(caller: Caller, sup: Dest): Promise<TreeNode[]> {
  let kids;
  try {
    kids = await whichChildren(caller, sup, { timeoutMs: 5000 });
  } catch {
    return [];
  }
  const nodes: TreeNode[] = [];
  for (const k of kids) {
    const running = k.pid !== undefined && k.pid !== 'restarting';
    const children = k.type === 'supervisor' && running ? await childrenOf(caller, k.pid as Pid) : [];
    nodes.push({ id: k.id ?? String(k.pid), pid: k.pid, type: k.type, children });
  }
  return nodes;
}

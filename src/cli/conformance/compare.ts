/**
 * Trace comparison with the conformance contract's rules (the same as the shared
 * `compare.mjs`): line order matters; `seq` and `t` are ignored; `sup` is compared for every
 * event but `supervisor_exit`; reasons and results exactly (object keys in any order);
 * snapshots as sets of `id:status`; a run of lines marked `unordered` in the expected trace
 * (same `sup` and `reason`) as a multiset. Stops at the first divergence.
 */

type Line = Record<string, unknown>;

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = canon((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

function key(e: Line): string {
  const k: Record<string, unknown> = { event: e.event, id: e.id ?? null };
  if (e.sup !== undefined && e.event !== 'supervisor_exit') k.sup = e.sup;
  if (e.reason !== undefined) k.reason = JSON.stringify(canon(e.reason));
  if (e.event === 'call') {
    k.op = e.op;
    k.result = JSON.stringify(canon(e.result));
  }
  if (e.event === 'children') {
    k.children = ((e.children as Array<{ id: unknown; status: unknown }> | undefined) ?? [])
      .map((c) => `${String(c.id)}:${String(c.status)}`)
      .sort()
      .join(',');
  }
  return JSON.stringify(k);
}

function blocks(events: readonly Line[]): Line[][] {
  const out: Line[][] = [];
  for (let i = 0; i < events.length; ) {
    const e = events[i] as Line;
    if (e.unordered === true) {
      let j = i + 1;
      while (
        j < events.length &&
        (events[j] as Line).unordered === true &&
        (events[j] as Line).sup === e.sup &&
        JSON.stringify((events[j] as Line).reason) === JSON.stringify(e.reason)
      )
        j++;
      out.push(events.slice(i, j));
      i = j;
    } else {
      out.push([e]);
      i++;
    }
  }
  return out;
}

/** The differences between an expected and an actual trace (empty when they agree). */
export function compareTraces(expected: readonly Line[], actual: readonly Line[]): string[] {
  let a = 0;
  let line = 1;
  for (const block of blocks(expected)) {
    const want = block.map(key).sort();
    const got = actual
      .slice(a, a + block.length)
      .map(key)
      .sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      return [
        `at expected line ${line} / actual line ${a + 1}:\n` +
          `  expected ${block.length > 1 ? '(any order) ' : ''}${want.join('\n           ')}\n` +
          `  actual   ${got.length > 0 ? got.join('\n           ') : '<end of trace>'}`,
      ];
    }
    a += block.length;
    line += block.length;
  }
  if (a < actual.length) return [`actual has ${actual.length - a} extra line(s), first: ${key(actual[a] as Line)}`];
  return [];
}

/** Parse JSON lines. */
export function parseTrace(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

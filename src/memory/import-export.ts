/**
 * Import and export in the reference server's JSONL format (one `entity` or `relation` object
 * per line). Import merges into a graph in one write (all or nothing): new entities are created,
 * existing ones get the observations they lack, new relations are added. A file Warden wrote
 * (with its change log) imports as the graph it describes. Export writes plain reference lines,
 * entities first, in creation order.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { entityLine, GraphModel, relationLine } from './graph-model.ts';
import { parseLog, type RejectedLine } from './jsonl-log.ts';
import type { ImportSummary, KnowledgeGraph, MemoryGraph } from './types.ts';

export interface ParsedJsonl {
  readonly graph: KnowledgeGraph;
  /** Lines that could not be read, with the reason (line numbers from 1). */
  readonly rejected: readonly RejectedLine[];
  /** Entities named twice (merged into the first) and relations given twice. */
  readonly duplicates: number;
}

/** Read a JSONL text in the reference's format (or a Warden memory file) into a graph. */
export function parseJsonl(text: string): ParsedJsonl {
  const parsed = parseLog(Buffer.from(text), 1, false);
  const model = new GraphModel();
  const rejected: RejectedLine[] = [...parsed.rejected];
  let duplicates = 0;
  for (const unit of parsed.units) {
    for (const record of unit.records) {
      const outcome = model.apply(record);
      if (outcome === 'duplicate') duplicates++;
      else if (outcome !== 'applied') rejected.push({ line: unit.line, text: JSON.stringify(record), reason: outcome.invalid });
    }
  }
  if (parsed.incomplete !== undefined) rejected.push(parsed.incomplete);
  rejected.sort((a, b) => a.line - b.line);
  return { graph: model.read({ tool: 'read_graph' }), rejected, duplicates };
}

/** The graph as reference JSONL lines (with a final newline; empty graph: empty text). */
export function toJsonl(graph: KnowledgeGraph): string {
  const lines = [...graph.entities.map(entityLine), ...graph.relations.map(relationLine)];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Merge a reference JSONL file into `graph` (one write). Throws naming the first bad line unless `skipInvalid`. */
export async function importJsonl(
  graph: MemoryGraph,
  file: string,
  options: { readonly skipInvalid?: boolean } = {},
): Promise<ImportSummary & { readonly rejected: readonly RejectedLine[] }> {
  const parsed = parseJsonl(readFileSync(file, 'utf8'));
  if (parsed.rejected.length > 0 && options.skipInvalid !== true) {
    const first = parsed.rejected[0]!;
    throw new Error(
      `${file}:${first.line}: ${first.reason}${parsed.rejected.length > 1 ? ` (and ${parsed.rejected.length - 1} more bad lines)` : ''}; nothing was imported (pass --skip-invalid to import the rest)`,
    );
  }
  const summary = await graph.write({ tool: 'import', graph: parsed.graph });
  return { ...summary, rejected: parsed.rejected };
}

/** Write the graph to `file` as reference JSONL (atomically: a temp file renamed over it). */
export async function exportJsonl(graph: MemoryGraph, file: string): Promise<{ readonly entities: number; readonly relations: number }> {
  const g = await graph.read({ tool: 'read_graph' });
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, toJsonl(g));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { entities: g.entities.length, relations: g.relations.length };
}

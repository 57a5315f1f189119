/**
 * `readRejectedLines(file)`: what the repair of a JSONL graph set aside in `<file>.rejected`,
 * parsed, oldest first (none when nothing was set aside). Nothing the repair skips is deleted;
 * this is how a program (or a test) reads it back to recover or inspect it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RejectedLine } from './jsonl-log.ts';

/** The lines set aside beside `file`, oldest first. */
export function readRejectedLines(file: string): RejectedLine[] {
  if (!existsSync(`${file}.rejected`)) return [];
  return readFileSync(`${file}.rejected`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RejectedLine);
}

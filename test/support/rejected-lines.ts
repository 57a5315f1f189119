/**
 * `rejectedLines(file)`: the lines a JSONL memory file's repair set aside in `<file>.rejected`,
 * parsed (none when there is no such file), for the tests of the file graph's repair on load.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/** The lines kept aside beside `file`, oldest first. */
export function rejectedLines(file: string): RejectedLine[] {
  if (!existsSync(`${file}.rejected`)) return [];
  return readFileSync(`${file}.rejected`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RejectedLine);
}

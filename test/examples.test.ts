/**
 * The company example (examples/company.ts, `npm run example:company`) runs as a real process
 * against the simulated model and shows each failure handled the way its comment says: the
 * failing department restarted alone and its task resumed, the loop and the hallucinated tool
 * stopped by their guards, the over-budget task dead-lettered, the irreversible post approved.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;

describe('examples/company.ts', () => {
  it('runs the eight departments through their failures to the end of the day', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=warden-dev', `${repo}examples/company.ts`], { cwd: repo });
    for (const line of [
      /lawyer +guard UNKNOWN_TOOL/,
      /lawyer +restarted by its supervisor as <0\.\d+> \(one_for_one: the others carry on\)/,
      /improver +guard TOOL_LOOP_DETECTED/,
      /cfo +guard BUDGET_EXCEEDED/,
      /accountant +answer rejected by its schema; asking again \(1 of 3\)/,
      /owner +approves "tool#1.1 post_to_social"/,
      /model +openai failed \(MODEL_OVERLOADED\); falling back to anthropic/,
    ]) {
      expect(stdout).toMatch(line);
    }
    const day = stdout.slice(stdout.indexOf('the day, by department'));
    expect(day).toMatch(/ceo +Priorities: ship Friday's launch/);
    expect(day).toMatch(/marketing +The launch teaser is out\./);
    expect(day).toMatch(/lawyer +The supplier contract is fine/);
    expect(day).toMatch(/improver +Suggestion: /);
    expect(day).toMatch(/accountant +\{"month":"2031-01","revenue":4200,"expenses":1300\}/);
    expect(day).toMatch(/cfo +not done: budget "company\/run:day-1-cfo" would exceed its steps cap.*\(dead-lettered\)/);
    expect(day).toContain('dead letters pending: agent:cfo');
    expect(day).toContain('processes left: 0');
  });
});

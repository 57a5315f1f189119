/**
 * The ladder a health action moves: one level per step, never past either end, `onChange` on
 * every move and only then; bound to a resilience DegradationLadder, each level makes its calls
 * start there.
 */
import { describe, expect, it } from 'vitest';
import { DegradationLadder, InProcessResultCache } from '../resilience/index.ts';
import { LevelLadder, ladderOverSkips } from './level-ladder.ts';

describe('LevelLadder', () => {
  it('moves one level per step, stops at both ends, and reports each move once', () => {
    const moves: string[] = [];
    const ladder = new LevelLadder({ name: 'mode', levels: ['full', 'cached', 'static'], onChange: (to, from) => moves.push(`${from}→${to}`) });
    expect([ladder.level, ladder.position]).toEqual(['full', 0]);
    expect(ladder.stepUp()).toBe('full');
    expect([ladder.stepDown(), ladder.stepDown(), ladder.stepDown()]).toEqual(['cached', 'static', 'static']);
    expect(ladder.stepUp()).toBe('cached');
    expect(moves).toEqual(['full→cached', 'cached→static', 'static→cached']);
  });

  it.each<[unknown, string]>([
    [{ name: 'x', levels: ['a', 'a'] }, 'levels'],
    [{ name: '', levels: ['a', 'b'] }, 'name'],
    [{ name: 'x', levels: ['a', 'b'], onChange: 1 }, 'onChange'],
  ])('rejects %j naming %s', (options, path) => {
    expect(() => new LevelLadder(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_SPEC', path }));
  });
});

describe('ladderOverSkips', () => {
  it('makes the resilience ladder answer from the level it is at', async () => {
    const cache = new InProcessResultCache<string>();
    const answers = new DegradationLadder<string, string>({
      name: 'answers',
      primary: (q) => `live ${q}`,
      cache,
      staticAnswer: () => 'busy',
    });
    const ladder = ladderOverSkips(answers, { name: 'answers', levels: ['primary', 'cache', 'static'] });
    expect(await answers.execute('q')).toMatchObject({ level: 'primary', value: 'live q' }); // also cached
    ladder.stepDown();
    expect(answers.config.skip).toEqual(['primary']);
    expect(await answers.execute('q')).toMatchObject({ level: 'cache', value: 'live q' });
    ladder.stepDown();
    expect(await answers.execute('q')).toMatchObject({ level: 'static', value: 'busy' });
    ladder.stepUp();
    ladder.stepUp();
    expect(answers.config.skip).toEqual([]);
    expect(await answers.execute('q')).toMatchObject({ level: 'primary' });
  });
});

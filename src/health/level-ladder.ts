/**
 * A degradation ladder a health check can move: an ordered list of levels, the first being full
 * quality, and a current level. `stepDown()` moves one level lower (never past the last),
 * `stepUp()` one level higher (never past the first), and each move calls `onChange`, where the
 * user applies the level (switch a model, serve from cache, answer statically).
 *
 * {@link ladderOverSkips} binds one to a resilience `DegradationLadder`: being at level `i` means
 * the levels above it are in the ladder's `skip` list, so its calls start lower down.
 *
 * @example
 * ```ts
 * const mode = new LevelLadder({ name: 'answers', levels: ['live', 'cached', 'static'] });
 * mode.stepDown(); // 'cached'
 * ```
 */
import { z } from 'zod';
import { parseWith } from '../runtime/internal.ts';

export interface LevelLadderOptions<L extends string> {
  /** Name in events and the report. */
  readonly name: string;
  /** The levels, best first (at least two, distinct). */
  readonly levels: readonly L[];
  /** Called after every move with the new level and the one before. @default none */
  readonly onChange?: (level: L, from: L) => void;
}

/** What a health action needs of a ladder (a {@link LevelLadder} has it). */
export interface MovableLadder {
  readonly name: string;
  readonly levels: readonly string[];
  readonly level: string;
  stepDown(): string;
  stepUp(): string;
}

const optionsSchema = z.strictObject({
  name: z.string().min(1),
  levels: z
    .array(z.string().min(1))
    .min(2)
    .refine((l) => new Set(l).size === l.length, { message: 'must not repeat a level' }),
  onChange: z.custom<(level: string, from: string) => void>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
});

export class LevelLadder<L extends string = string> implements MovableLadder {
  readonly name: string;
  readonly levels: readonly L[];
  private readonly onChange: ((level: L, from: L) => void) | undefined;
  private index = 0;

  constructor(options: LevelLadderOptions<L>) {
    parseWith(typeof options?.name === 'string' ? `ladder "${options.name}"` : 'ladder', optionsSchema, options);
    this.name = options.name;
    this.levels = Object.freeze([...options.levels]);
    this.onChange = options.onChange;
  }

  /** The current level. */
  get level(): L {
    return this.levels[this.index] as L;
  }

  /** 0 at the top. */
  get position(): number {
    return this.index;
  }

  /** Move one level down (no move at the bottom); returns the level now in force. */
  stepDown(): L {
    return this.moveTo(Math.min(this.index + 1, this.levels.length - 1));
  }

  /** Move one level up (no move at the top); returns the level now in force. */
  stepUp(): L {
    return this.moveTo(Math.max(this.index - 1, 0));
  }

  private moveTo(index: number): L {
    const from = this.level;
    if (index === this.index) return from;
    this.index = index;
    this.onChange?.(this.level, from);
    return this.level;
  }
}

/** What {@link ladderOverSkips} needs of a resilience `DegradationLadder`. */
export interface SkippableLadder {
  configure(patch: { readonly skip: readonly string[] }): void;
}

/**
 * A {@link LevelLadder} that moves a resilience `DegradationLadder`: at level `i`, the levels
 * above `i` are skipped, so calls begin at level `i`. `levels` are the ladder's own level names
 * in its order (`'primary'`, fallback names, `'cache'`, `'static'`, `'queue'`).
 *
 * @example
 * ```ts
 * const ladder = new DegradationLadder({ name: 'answers', primary: ask, cache, staticAnswer: () => 'busy' });
 * const movable = ladderOverSkips(ladder, { name: 'answers', levels: ['primary', 'cache', 'static'] });
 * ```
 */
export function ladderOverSkips<L extends string>(ladder: SkippableLadder, options: Omit<LevelLadderOptions<L>, 'onChange'>): LevelLadder<L> {
  const levels = options.levels;
  return new LevelLadder<L>({
    ...options,
    onChange: (level) => ladder.configure({ skip: levels.slice(0, levels.indexOf(level)) }),
  });
}

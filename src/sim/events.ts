/**
 * The sim layer's events, on the one stream. The simulated model server reports nothing on it;
 * the chaos proxy reports each decision it makes about a request (a fault, or passing it through).
 */
import type { ChaosFaultKind } from './chaos-rules.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** The chaos proxy decided what to do with a request (`fault` undefined: passed through). */
    'chaos.request': {
      readonly proxy: string;
      readonly seq: number;
      readonly method: string;
      readonly path: string;
      readonly fault: ChaosFaultKind | undefined;
      readonly rule: string | undefined;
    };
  }
}

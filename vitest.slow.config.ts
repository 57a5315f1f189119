// The slow suites: multi-process, browser and soak tests that would push `npm test` past its
// time budget. `npm run test:slow` runs them (and `.ci/run` does, after `npm test`); a file joins
// by its name, `*.slow.test.ts`. The rest is vitest.config.ts's (resolve conditions, timeouts).
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({
  ...base,
  test: { ...base.test, include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'], exclude: ['test/chaos/**', 'node_modules/**'] },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['warden-dev'] },
  // Vitest gives the environment tests run in its own resolve conditions: add ours there too, so
  // that `import('warden/<layer>')` in a test loads src/ (not a stale or missing dist/).
  environments: { ssr: { resolve: { conditions: ['warden-dev'] } } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // `*.slow.test.ts` run in `npm run test:slow` (vitest.slow.config.ts), not here.
    exclude: ['test/chaos/**', 'node_modules/**', '**/*.slow.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['warden-dev'] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/chaos/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

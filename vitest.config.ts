import { defineConfig } from 'vitest/config';

// Tests mirror the source tree under tests/. Browser (e2e) tests live in tests/e2e and
// share the same run; they start their own server and Debian chromium.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['tests/setup-backend.ts'],
  },
});

import { defineConfig } from 'vitest/config';

// Four projects: unit tests run alone; integration, security and deploy tests each share ONE real local host cluster
// (kube-apiserver + etcd + controllers + kwok) that the global setup starts and stops.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // Attacks against a real host and kplex (npm run test:security); same shared host as integration.
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // The Dockerfile's steps in a clean directory (npm ci + tsc: minutes), outside the default
        // suite's time budget; CI runs it after `npm test` (npm run test:deploy).
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

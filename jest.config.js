/** Jest runs TypeScript as ESM (client-node 1.x is ESM-only); type checking is `npm run typecheck`. */
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  testEnvironment: 'node',
};

/** One local control plane shared by every test file of a run; see test/support/cluster.ts. */
const cluster = {
  globalSetup: '<rootDir>/test/support/cluster-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/cluster-global-teardown.ts',
};

export default {
  // Unit and integration files one at a time: integration files share cluster-wide state (CRDs,
  // ClusterRoles, controllers watching every namespace). The e2e project sets its own pool below.
  maxWorkers: 1,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
      ...cluster,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      // Its files run concurrently on the one control plane: each scenario has its own namespace,
      // and its controller watches only that one. Their time is mostly waiting for analysis
      // intervals, so more files than cores run at once; FLEDGE_E2E_WORKERS sets the count.
      runner: '<rootDir>/test/support/concurrent-files-runner.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
      ...cluster,
    },
  ],
};

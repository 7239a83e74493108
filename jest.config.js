/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Workflow tests start a real Temporal dev server; the first start of a file can take seconds.
  testTimeout: 120_000,
  // Two cores: run files two at a time so dev servers don't starve each other.
  maxWorkers: 2,
};

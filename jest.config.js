/** Jest runs TypeScript through SWC: TypeScript 7 has no compiler API for ts-jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  // Examples import the package by its name, as a user's code does.
  moduleNameMapper: { '^cdk-weighted-balancer$': '<rootDir>/lib/index.ts' },
  testTimeout: 120000,
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};

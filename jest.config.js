/** @typedef {import('jest').Config} Config */

// Jest runs our ES modules natively (node --experimental-vm-modules) and
// transpiles TypeScript with @swc/jest: no type checking here, `pnpm typecheck`
// does that once for the whole tree. See ARCHITECTURE.md, "Testing".
/** @type {Config['transform']} */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

/** @type {Config} */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  // NodeNext source imports './x.js'; the file on disk is './x.ts'.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testPathIgnorePatterns: ['/node_modules/'],
};

/** @type {Config} */
const config = {
  // Integration tests start processes and wait on real retries; unit tests finish in ms anyway.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,packages,examples}/*/src/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.browser\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,packages,examples}/*/src/**/*.int.test.ts'],
      globalSetup: '<rootDir>/packages/testkit/global-setup.mjs',
      globalTeardown: '<rootDir>/packages/testkit/global-teardown.mjs',
    },
    {
      // The admin panel driven by a real headless Chromium (playwright-core + Debian's chromium).
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.browser.test.ts'],
      globalSetup: '<rootDir>/packages/testkit/global-setup.mjs',
      globalTeardown: '<rootDir>/packages/testkit/global-teardown.mjs',
    },
  ],
};

export default config;

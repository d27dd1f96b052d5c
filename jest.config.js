// Tests run on the compiled output (dist/) as native ES modules: no transform layer between
// the code under test and Node 24, and the same files Temporal bundles in production.
const common = { testEnvironment: 'node', transform: {}, rootDir: 'dist/test' };

export default {
  testTimeout: 60000,
  maxWorkers: 1,
  forceExit: true,
  projects: [
    // Pure domain code: no servers.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/unit/**/*.test.js'] },
    // Sandbox peers (Tracker emulator, mail servers, fakes): each test starts what it needs.
    { ...common, displayName: 'sandbox', testMatch: ['<rootDir>/{sandbox,deploy}/**/*.test.js'] },
    // Everything on the real stack: one embedded PostgreSQL and one Temporal dev server per run.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{integration,workflow,e2e,replay}/**/*.test.js'],
      globalSetup: '<rootDir>/support/global-setup.js',
      globalTeardown: '<rootDir>/support/global-teardown.js',
    },
  ],
};

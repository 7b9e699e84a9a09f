const jestJupyterLab = require('@jupyterlab/testutils/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@microsoft/fast',
  '@jupyterlab/',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);
const shared = {
  ...baseConfig,
  automock: false,
  // only the sources hold tests; this keeps jest from crawling .venv and builds
  roots: ['<rootDir>/src', '<rootDir>/packages/asyncresult-node/src'],
  // the extension's tests run on the headless package's sources, not its
  // build (as tsconfig.test.json's paths), so one copy of each class exists
  moduleNameMapper: {
    ...baseConfig.moduleNameMapper,
    '^jupyterlab-asyncresult-node/core$': '<rootDir>/packages/asyncresult-node/src/core/index.ts',
    '^jupyterlab-asyncresult-node$': '<rootDir>/packages/asyncresult-node/src/node/index.ts'
  },
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
// jest-level options that are not per-project
delete shared.coverageReporters;
delete shared.coverageDirectory;
delete shared.reporters;
delete shared.testTimeout;

module.exports = {
  reporters: ['default'],
  testTimeout: 10000,
  projects: [
    {
      // units: jsdom with JupyterLab's shims, fakes allowed
      ...shared,
      displayName: 'unit',
      testRegex: 'src/(core|lab|widgets)/__tests__/.*\\.spec\\.ts$'
    },
    {
      // a real Jupyter server, kernel and cluster, from Node
      ...shared,
      displayName: 'integration',
      testEnvironment: 'node',
      setupFiles: [],
      testRegex: 'src/__integration__/__tests__/.*\\.spec\\.ts$'
    },
    {
      // the Node client: units with fakes, and a real controller and engines
      ...shared,
      displayName: 'node',
      testEnvironment: 'node',
      setupFiles: [],
      testRegex: 'src/node/__tests__/.*\\.spec\\.ts$'
    }
  ]
};

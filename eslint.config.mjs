// Lint rules after the JupyterLab extension template's, in eslint 9's flat
// config; formatting is prettier's job (eslint-config-prettier turns off the
// rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// what the browser's code may not import (two rules below share it)
const browserOnlyCore = [
  {
    name: 'jupyterlab-asyncresult-node',
    message: 'import jupyterlab-asyncresult-node/core: the main entry pulls zeromq'
  },
  { name: 'zeromq', message: 'zeromq never reaches the browser bundle' }
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/lib/**',
      'coverage/**',
      'jupyterlab_asyncresult/labextension/**',
      'bench/.frozen-*/**',
      '.venv/**',
      '.jupyter-test/**',
      'ui-tests/test-results/**',
      'ui-tests/playwright-report/**',
      '**/*.d.ts'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // the browser's code takes the headless package's core only: its main
    // entry is the Node client, which pulls zeromq
    files: ['src/**/*.ts'],
    ignores: ['src/**/__tests__/**', 'src/__integration__/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: browserOnlyCore }]
    }
  },
  {
    // the views read core interfaces (ITaskSource, ITaskSources), never the
    // lab's classes, so a Node-fed store can appear in them and their unit
    // tests need only fakes
    files: ['src/widgets/**/*.ts'],
    ignores: ['src/widgets/**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: browserOnlyCore,
          patterns: [{ group: ['../lab/*'], message: 'views depend on the core only' }]
        }
      ]
    }
  },
  {
    // the core is what the browser and Node share: nothing of the Node
    // client, of JupyterLab or of the DOM's libraries
    files: ['packages/asyncresult-node/src/core/**/*.ts'],
    ignores: ['packages/asyncresult-node/src/core/**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zeromq', message: 'the core runs in the browser too' }],
          patterns: [
            { group: ['../node', '../node/*'], message: 'the core runs in the browser too' },
            { group: ['@jupyterlab/*', '@jupyter-widgets/*'], message: 'the core is headless' }
          ]
        }
      ]
    }
  }
);

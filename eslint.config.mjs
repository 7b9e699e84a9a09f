// Lint rules after the JupyterLab extension template's, in eslint 9's flat
// config; formatting is prettier's job (eslint-config-prettier turns off the
// rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/lib/**',
      'lib-node/**',
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
    // the views read core interfaces (ITaskSource, ITaskSources), never the
    // lab's classes, so a Node-fed store can appear in them and their unit
    // tests need only fakes
    files: ['src/widgets/**/*.ts'],
    ignores: ['src/widgets/**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['../lab/*', '../node/*'], message: 'views depend on src/core only' }]
        }
      ]
    }
  }
);

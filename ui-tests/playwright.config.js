/**
 * Galata's defaults, pointed at Debian's Chromium (no browser downloads here).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// GALATA_PORT moves the test server off 8888, so two checkouts can run side by side.
const port = process.env.GALATA_PORT || '8888';
// The Notebook 7 test server sits 100 above (see jupyter_notebook_test_config.py).
const notebookURL = `http://localhost:${Number(port) + 100}`;

module.exports = {
  ...baseConfig,
  timeout: 120 * 1000,
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  // JupyterLab for every spec but one; Jupyter Notebook 7, the other host of
  // the panel and the bars, for notebook7.spec.ts (plain Playwright there:
  // Galata's page fixture is made for JupyterLab's shell)
  projects: [
    { name: 'jupyterlab', testIgnore: /notebook7\.spec\.ts$/ },
    {
      name: 'notebook7',
      testMatch: /notebook7\.spec\.ts$/,
      use: { baseURL: notebookURL }
    }
  ],
  webServer: [
    {
      command: 'npm start',
      url: `http://localhost:${port}/lab`,
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      command: 'npm run start:notebook',
      url: `${notebookURL}/tree`,
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    }
  ]
};

import type { Locator, Page } from '@playwright/test';

/** Collect every error of the browser console and page: tests assert none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', error => errors.push(error.message));
  return errors;
}

/** The output area of cell `index` of the current notebook. */
export function outputOf(page: Page, index: number): Locator {
  return page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.jp-OutputArea');
}

import { Token } from '@lumino/coreutils';
import type { KernelTransports } from './transports';

/**
 * The transports to the kernel bridges of every open notebook and console,
 * for plugins that read their task stores (the progress widget does).
 */
export const IAsyncResultTransports = new Token<KernelTransports>(
  'jupyterlab-asyncresult:transports',
  'The live AsyncResult task stores of every open kernel.'
);

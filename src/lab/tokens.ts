import { Token } from '@lumino/coreutils';
import type { ITaskSources } from 'jupyterlab-asyncresult-node/core';

/**
 * The task sources of every open notebook and console (one per kernel, fed
 * by its bridge), for plugins that read their stores and send requests: the
 * progress bars do, and any other view may.
 */
export const IAsyncResultTransports = new Token<ITaskSources>(
  'jupyterlab-asyncresult:transports',
  'The live AsyncResult task stores of every open kernel.'
);

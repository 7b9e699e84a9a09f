import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { sidebarPlugin } from './lab/plugin';
import { progressPlugin } from './lab/progressPlugin';
import { outputsPlugin } from './lab/outputsPlugin';

export * from 'jupyterlab-asyncresult-node/core';
export { KernelTransport } from './lab/kernelTransport';
export { KernelTransports } from './lab/transports';
export { TaskSidebar } from './widgets/taskSidebar';
export { ProgressBar } from './widgets/progressBar';
export { ProgressFollower } from './widgets/progressFollower';
export { OutputsView } from './widgets/outputsView';
export { IAsyncResultTransports } from './lab/tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [sidebarPlugin, progressPlugin, outputsPlugin];
export default plugins;

import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { sidebarPlugin } from './lab/plugin';

export * from './core';
export { KernelTransport } from './lab/kernelTransport';
export { KernelTransports } from './lab/transports';
export { TaskSidebar } from './widgets/taskSidebar';

const plugins: JupyterFrontEndPlugin<any>[] = [sidebarPlugin];
export default plugins;

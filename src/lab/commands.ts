/** Ids of every command the extension adds. */
export namespace CommandIDs {
  export const showTasks = 'asyncresult:show-tasks';
  export const refresh = 'asyncresult:refresh';
  export const loadBridge = 'asyncresult:load-bridge';
}

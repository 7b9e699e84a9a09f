/** Ids of every command the extension adds. */
export namespace CommandIDs {
  export const showTasks = 'asyncresult:show-tasks';
  export const refresh = 'asyncresult:refresh';
  export const loadBridge = 'asyncresult:load-bridge';
  export const abortResult = 'asyncresult:abort-result';
  export const abortKernel = 'asyncresult:abort-kernel';
  export const resubmitFailed = 'asyncresult:resubmit-failed';
  export const goToCell = 'asyncresult:go-to-cell';
  export const copyMsgIds = 'asyncresult:copy-msg-ids';
  export const clearFinished = 'asyncresult:clear-finished';
  export const restoreCleared = 'asyncresult:restore-cleared';
  export const showTimeline = 'asyncresult:show-timeline';
  export const interruptEngines = 'asyncresult:interrupt-engines';
  export const showOutputs = 'asyncresult:show-outputs';
  export const showResultTasks = 'asyncresult:show-result-tasks';
  export const abortSelectedTasks = 'asyncresult:abort-selected-tasks';
}

// jsdom has no canvas: @lumino/datagrid asks for one as it loads, and the
// views draw nothing here (they say what they show in attributes instead).
// Imported before the views so that no "not implemented" error is logged.
HTMLCanvasElement.prototype.getContext = (() => null) as any;

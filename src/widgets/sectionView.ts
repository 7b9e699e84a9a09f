import type { TranslationBundle } from '@jupyterlab/translation';
import {
  type ClusterWatch,
  type IPanelSection,
  type IQueueAhead,
  type ITaskSource,
  type ITaskSourceEntry,
  isUnfinished
} from 'jupyterlab-asyncresult-node/core';
import { folderOf, note, span } from './taskRowView';

/**
 * The DOM of a section head of the task panel: the kernel's documents,
 * folding, Timeline and Abort all, and what is known of its bridge, its
 * controller and its cluster.
 */

/** How to draw a section head beyond its data. */
export interface ISectionOptions {
  collapsed: boolean;
  /** The watch on the kernel's cluster, if any. */
  cluster: ClusterWatch | null;
  /** Whose work the kernel's queued tasks wait behind, if anyone's. */
  ahead?: IQueueAhead | null;
  /** The documents of a kernel, by its id, as the user knows them (paths). */
  pathsOf?: (kernelId: string) => string;
  trans: TranslationBundle;
}

/** The head of one kernel's section: its heading, then what the panel knows of its state. */
export function renderSectionHead(section: IPanelSection, options: ISectionOptions): HTMLElement {
  const { collapsed, cluster, trans } = options;
  const entry = section.entry!;
  const { source } = entry;
  const unfinished = section.rows.filter(r => isUnfinished(r.progress)).length;
  const block = document.createElement('div');
  block.className = 'jp-AsyncResultSidebar-sectionHead';
  block.dataset.sectionKey = section.key;
  block.appendChild(renderHeading(entry, collapsed, unfinished, trans));
  const state = stateText(source, trans);
  if (state) {
    block.appendChild(note(state));
  }
  if (!source.store.controller.ok) {
    block.appendChild(note(trans.__('Controller lost: %1', source.store.controller.detail), true));
  }
  const queues = clusterLine(cluster, trans);
  if (queues) {
    block.appendChild(queues);
  }
  if (options.ahead) {
    block.appendChild(aheadLine(options.ahead, options.pathsOf ?? (key => key), trans));
  }
  if (source.state === 'live' && !source.supportsSubshells) {
    block.appendChild(
      note(
        trans.__(
          'This kernel has no subshells (ipykernel < 7): requests from this panel wait while a cell runs.'
        )
      )
    );
  }
  if (source.state === 'live' && !section.rows.length) {
    block.appendChild(
      note(
        section.hidden
          ? trans._n(
              '%1 result hidden by the filters.',
              '%1 results hidden by the filters.',
              section.hidden
            )
          : trans.__('No AsyncResults in this kernel yet.')
      )
    );
  }
  return block;
}

/** The heading of one kernel's section: its documents' paths, collapsible. */
function renderHeading(
  entry: ITaskSourceEntry,
  collapsed: boolean,
  unfinished: number,
  trans: TranslationBundle
): HTMLElement {
  const heading = document.createElement('div');
  heading.className = 'jp-AsyncResultSidebar-heading';
  const toggle = document.createElement('button');
  toggle.className = 'jp-AsyncResultSidebar-toggle';
  toggle.dataset.action = 'toggle';
  toggle.setAttribute('aria-expanded', String(!collapsed));
  const paths = entry.paths.join(', ');
  toggle.title = collapsed
    ? trans.__('Show the results of %1', paths)
    : trans.__('Hide the results of %1', paths);
  // the file names first, then their folders from the end: in a narrow
  // panel the end of a path is what tells same-named notebooks apart
  const title = document.createElement('h3');
  title.className = 'jp-AsyncResultSidebar-kernelName';
  title.title = trans.__('%1 (kernel %2)', paths, entry.source.id);
  title.appendChild(span('jp-AsyncResultSidebar-fileName', entry.names.join(', ')));
  const folders = entry.paths.map(folderOf).filter(Boolean);
  if (folders.length) {
    title.appendChild(span('jp-AsyncResultSidebar-folder', folders.join(', ')));
  }
  toggle.appendChild(title);
  heading.appendChild(toggle);
  const timeline = document.createElement('button');
  timeline.className = 'jp-Button jp-mod-minimal jp-AsyncResultSidebar-timeline';
  timeline.dataset.action = 'timeline';
  timeline.textContent = trans.__('Timeline');
  timeline.title = trans.__('Which engine ran what, when, for this kernel');
  heading.appendChild(timeline);
  if (unfinished > 0) {
    const abortAll = document.createElement('button');
    abortAll.className = 'jp-Button jp-mod-minimal jp-AsyncResultSidebar-abortAll';
    abortAll.dataset.action = 'abort-kernel';
    abortAll.textContent = trans.__('Abort all');
    abortAll.title = trans._n(
      'Abort the queued tasks of the %1 unfinished result of this kernel',
      'Abort the queued tasks of the %1 unfinished results of this kernel',
      unfinished
    );
    heading.appendChild(abortAll);
  }
  return heading;
}

/** What the controller behind a kernel says of its engines' queues. */
function clusterLine(watch: ClusterWatch | null, trans: TranslationBundle): HTMLElement | null {
  const queues = watch?.queues;
  if (!watch || !queues || !queues.engines.length) {
    return null;
  }
  const busy = queues.engines.filter(e => e.busy > 0).length;
  const line = note(
    trans._n(
      'Cluster: %1 engine, %2 busy, %3 tasks waiting for an engine',
      'Cluster: %1 engines, %2 busy, %3 tasks waiting for an engine',
      queues.engines.length,
      busy,
      queues.unassigned
    )
  );
  line.classList.add('jp-AsyncResultSidebar-cluster');
  line.dataset.engines = String(queues.engines.length);
  line.dataset.unassigned = String(queues.unassigned);
  line.title = [
    trans.__('The controller says (every client, not only this kernel):'),
    ...queues.engines.map(e =>
      trans.__('engine %1: %2 running or queued, %3 completed', e.id, e.busy, e.completed)
    ),
    watch.error ? trans.__('Last question failed: %1', watch.error) : ''
  ]
    .filter(Boolean)
    .join('\n');
  return line;
}

/** Whose work this kernel's queued tasks wait behind on its controller. */
function aheadLine(
  ahead: IQueueAhead,
  pathsOf: (kernelId: string) => string,
  trans: TranslationBundle
): HTMLElement {
  const parts = ahead.kernels.map((k, i) =>
    i === 0
      ? trans._n('%1 task of %2', '%1 tasks of %2', k.running + k.queued, pathsOf(k.key))
      : trans.__('%1 of %2', k.running + k.queued, pathsOf(k.key))
  );
  if (ahead.others && parts.length) {
    parts.push(trans.__('%1 of other clients', ahead.others));
  }
  // other clients only: their order against this kernel's is not known,
  // so they are not said to be ahead
  const line = note(
    parts.length
      ? trans.__('Queued behind %1', parts.join(', '))
      : trans._n(
          'Queued with %1 task of other clients on the controller',
          'Queued with %1 tasks of other clients on the controller',
          ahead.others
        )
  );
  line.classList.add('jp-AsyncResultSidebar-ahead');
  line.dataset.ahead = ahead.kernels.map(k => `${k.key}:${k.running + k.queued}`).join(' ');
  line.dataset.others = String(ahead.others);
  line.title = [
    trans._n(
      "This kernel's %1 queued task waits behind work on the same controller:",
      "This kernel's %1 queued tasks wait behind work on the same controller:",
      ahead.waiting
    ),
    ...ahead.kernels.map(k =>
      trans.__(
        '%1: %2 running, %3 queued before this kernel’s oldest queued task',
        pathsOf(k.key),
        k.running,
        k.queued
      )
    ),
    ahead.others
      ? trans.__(
          'other clients: %1 running or queued (the controller counts them; their order against this kernel’s is not known)',
          ahead.others
        )
      : '',
    trans.__('Counted when each kernel’s controller last answered.')
  ]
    .filter(Boolean)
    .join('\n');
  return line;
}

/** A notebook whose kernel was shut down. */
export function renderNoKernel(path: string, trans: TranslationBundle): HTMLElement {
  const section = document.createElement('section');
  section.className = 'jp-AsyncResultSidebar-kernel';
  section.dataset.state = 'no-kernel';
  const title = document.createElement('h3');
  title.className = 'jp-AsyncResultSidebar-kernelName';
  title.textContent = path;
  section.appendChild(title);
  section.appendChild(
    note(
      trans.__(
        'No kernel: it was shut down. Start one to run parallel work; what ran before is not known to a new kernel.'
      )
    )
  );
  return section;
}

function stateText(source: ITaskSource, trans: TranslationBundle): string {
  const detail = source.detail;
  switch (source.state) {
    case 'connecting':
      return detail || trans.__('Connecting to the kernel…');
    case 'unavailable':
      return trans.__('Not followed: %1', detail);
    case 'closed':
      return trans.__('Disconnected: %1', detail);
    default:
      return detail;
  }
}

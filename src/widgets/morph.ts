/**
 * Bring a live DOM subtree to a freshly drawn one in place, keeping every
 * node whose place, tag and key stay the same.
 *
 * The task panel redraws its rows whenever a delta or a cluster poll comes
 * (many times a second while work runs). Replacing the nodes would drop a
 * click whose press and release straddle a redraw (the two land on
 * different buttons, so the browser sends the click to their common
 * ancestor), and hover and focus flicker. Updated in place, a button stays
 * the same node while its row only changes its counts.
 */

/** The attribute that names what an element shows (a row's result, a section's kernel). */
const KEY_ATTRIBUTES = ['data-section-key', 'data-kernel-id', 'data-result-id'];

/** Make `target`'s children equal to `source`'s; `source` is emptied. */
export function morphChildren(target: Node, source: Node): void {
  const wanted = Array.from(source.childNodes);
  wanted.forEach((next, i) => {
    const have = target.childNodes[i];
    if (!have) {
      target.appendChild(next);
    } else if (!sameNode(have, next)) {
      target.replaceChild(next, have);
    } else if (have.nodeType === have.ELEMENT_NODE) {
      syncAttributes(have as Element, next as Element);
      morphChildren(have, next);
    } else if (have.nodeValue !== next.nodeValue) {
      have.nodeValue = next.nodeValue;
    }
  });
  while (target.childNodes.length > wanted.length) {
    target.removeChild(target.lastChild!);
  }
}

/** Whether `next` can be drawn by updating `have`. */
function sameNode(have: Node, next: Node): boolean {
  if (have.nodeType !== next.nodeType || have.nodeName !== next.nodeName) {
    return false;
  }
  if (have.nodeType !== have.ELEMENT_NODE) {
    return true;
  }
  const a = have as Element;
  const b = next as Element;
  return KEY_ATTRIBUTES.every(name => a.getAttribute(name) === b.getAttribute(name));
}

function syncAttributes(have: Element, next: Element): void {
  for (const name of have.getAttributeNames()) {
    if (!next.hasAttribute(name)) {
      have.removeAttribute(name);
    }
  }
  for (const name of next.getAttributeNames()) {
    const value = next.getAttribute(name)!;
    if (have.getAttribute(name) !== value) {
      have.setAttribute(name, value);
    }
  }
}

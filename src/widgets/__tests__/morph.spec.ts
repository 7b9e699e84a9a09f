import { morphChildren } from '../morph';

/** A fragment parsed from HTML. */
function drawn(html: string): DocumentFragment {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
}

describe('morphChildren', () => {
  it('keeps the nodes of an element whose place, tag and key stay, updating text and attributes', () => {
    const host = document.createElement('div');
    host.append(drawn('<li data-result-id="r1" title="a"><b>1/4</b><button>Abort</button></li>'));
    const row = host.firstElementChild!;
    const button = row.querySelector('button')!;
    morphChildren(
      host,
      drawn('<li data-result-id="r1" class="x"><b>2/4</b><button>Abort</button></li>')
    );
    expect(host.firstElementChild).toBe(row);
    expect(row.querySelector('button')).toBe(button);
    expect(row.querySelector('b')!.textContent).toBe('2/4');
    expect(row.getAttribute('class')).toBe('x');
    expect(row.hasAttribute('title')).toBe(false);
  });

  it('replaces what shows another result, and drops what is no longer drawn', () => {
    const host = document.createElement('div');
    host.append(drawn('<li data-result-id="r1">a</li><li data-result-id="r2">b</li><p>c</p>'));
    const second = host.children[1];
    morphChildren(host, drawn('<li data-result-id="r3">x</li><li data-result-id="r2">b</li>'));
    expect(Array.from(host.children).map(c => c.getAttribute('data-result-id'))).toEqual([
      'r3',
      'r2'
    ]);
    expect(host.children[1]).toBe(second);
    expect(host.textContent).toBe('xb');
  });

  it('replaces an element whose tag changed (a button turned into a state)', () => {
    const host = document.createElement('div');
    host.append(drawn('<span>x</span><button>Abort</button>'));
    morphChildren(host, drawn('<span>x</span><span>Abort sent</span>'));
    expect(host.innerHTML).toBe('<span>x</span><span>Abort sent</span>');
  });
});

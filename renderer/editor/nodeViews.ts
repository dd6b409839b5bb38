/**
 * How task items and images look in the editor. A task item has a real checkbox in front of its
 * text (a click or Space on it toggles the item through the same step the Mod+Enter key uses);
 * an image of an attached file shows that file's bytes, read through the API into this page's
 * memory (a blob: URL the page made), never from the network.
 */
import type { Node } from 'prosemirror-model';
import type { EditorView, NodeView, NodeViewConstructor } from 'prosemirror-view';
import { imageFileId, readChecked } from '../../common/richtext/schema.ts';
import { call, hearth } from '../state/api.ts';
import { setTaskState } from './blocks.ts';

class TaskItemView implements NodeView {
  readonly dom: HTMLLIElement;
  readonly contentDOM: HTMLDivElement;
  private readonly box: HTMLInputElement;

  constructor(
    private node: Node,
    private readonly view: EditorView,
    private readonly getPos: () => number | undefined,
  ) {
    this.dom = document.createElement('li');
    this.box = document.createElement('input');
    this.box.type = 'checkbox';
    this.box.contentEditable = 'false';
    // The editor keeps its selection; the box's own change (mouse or Space) becomes the step.
    this.box.addEventListener('mousedown', (event) => event.preventDefault());
    this.box.addEventListener('change', () => this.toggle());
    this.contentDOM = document.createElement('div');
    this.contentDOM.className = 'task-text';
    this.render();
  }

  private toggle(): void {
    const pos = this.getPos();
    if (pos === undefined || !this.view.editable) {
      this.box.checked = this.drawn === true;
      return;
    }
    this.view.dispatch(setTaskState(this.view.state.tr, pos, !(readChecked(this.node.attrs['checked']) ?? false)));
  }

  /** What was last drawn, so that typing in the item (an update that changes neither) touches no DOM. */
  private drawn: boolean | null | undefined = undefined;
  private drawnEditable: boolean | undefined = undefined;

  private render(): void {
    const checked = readChecked(this.node.attrs['checked']);
    if (checked === this.drawn && this.view.editable === this.drawnEditable) return;
    this.drawn = checked;
    this.drawnEditable = this.view.editable;
    if (checked === null) this.box.remove();
    else if (this.box.parentNode !== this.dom) this.dom.prepend(this.box);
    if (this.contentDOM.parentNode !== this.dom) this.dom.append(this.contentDOM);
    this.dom.className = checked === null ? '' : 'task';
    if (checked === null) {
      this.dom.removeAttribute('data-checked');
      return;
    }
    this.dom.setAttribute('data-checked', String(checked));
    this.box.checked = checked;
    this.box.disabled = !this.view.editable;
    this.box.setAttribute('aria-label', checked ? 'Done: mark as not done' : 'Not done: mark as done');
  }

  update(node: Node): boolean {
    if (node.type !== this.node.type) return false;
    this.node = node;
    this.render();
    return true;
  }

  stopEvent(event: Event): boolean {
    return event.target === this.box;
  }

  ignoreMutation(mutation: MutationRecord | { type: 'selection'; target: globalThis.Node }): boolean {
    return mutation.target === this.box || mutation.target === this.dom;
  }
}

/** Object URLs of the attached files shown as images, by file id, while this page lives. */
const imageUrls = new Map<string, Promise<string | null>>();

async function readImage(fileId: string): Promise<string | null> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  try {
    for (;;) {
      const { bytes, done } = await call(hearth().readFile(fileId, offset));
      parts.push(new Uint8Array(bytes));
      offset += bytes.length;
      if (done || bytes.length === 0) break;
    }
  } catch {
    imageUrls.delete(fileId);
    return null;
  }
  return URL.createObjectURL(new Blob(parts));
}

function imageUrl(fileId: string): Promise<string | null> {
  let url = imageUrls.get(fileId);
  if (!url) {
    url = readImage(fileId);
    imageUrls.set(fileId, url);
  }
  return url;
}

class ImageView implements NodeView {
  /** A frame whose content the view owns: the image, or a note where it cannot be shown. */
  readonly dom: HTMLSpanElement;

  constructor(node: Node) {
    const src = String(node.attrs['src'] ?? '');
    const alt = String(node.attrs['alt'] ?? '');
    const fileId = imageFileId(src);
    this.dom = document.createElement('span');
    this.dom.className = 'image-frame';
    if (fileId === null) {
      // Not an attached file: never fetched. Its description stands in for it.
      this.dom.append(missingImage(alt, 'an image from outside this workspace'));
      return;
    }
    const image = document.createElement('img');
    image.alt = alt;
    image.className = 'embedded-image';
    if (node.attrs['title']) image.title = String(node.attrs['title']);
    this.dom.append(image);
    image.addEventListener('error', () => image.replaceWith(missingImage(alt, 'its file is not an image this page can show')), { once: true });
    void imageUrl(fileId).then((url) => {
      if (url) image.src = url;
      else image.replaceWith(missingImage(alt, 'its file is not in this workspace'));
    });
  }

  ignoreMutation(): boolean {
    return true;
  }
}

function missingImage(alt: string, why: string): HTMLElement {
  const element = document.createElement('span');
  element.className = 'embedded-image missing-image';
  element.setAttribute('role', 'img');
  element.setAttribute('aria-label', `${alt || 'Image'} (not shown: ${why})`);
  element.textContent = `🖼 ${alt || 'Image'} — not shown: ${why}`;
  return element;
}

/** The node views of the editor and of read-only documents. */
export const blockNodeViews: Record<string, NodeViewConstructor> = {
  list_item: (node, view, getPos) => new TaskItemView(node, view, getPos),
  image: (node) => new ImageView(node),
};

/**
 * Markdown from outside (a public link someone shared) shown read-only in the editor's own
 * schema: the Markdown becomes an Automerge rich-text body through common/richtext (raw HTML stays
 * words, an image shows only its description, links only keep http(s)/mailto targets), then a ProseMirror document in a
 * view that cannot be edited. Nothing is ever set as HTML, so nothing in the text can run.
 */
import { useEffect, useRef } from 'react';
import * as A from '@automerge/automerge/slim';
import { pmDocFromSpans } from '@automerge/prosemirror';
import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { blockNodeViews } from '../editor/nodeViews.ts';
import { hearthSchemaAdapter, safeHref } from '../editor/schema.ts';

/** The ProseMirror document for `markdown`, as an editor would show it. */
function pmDocOf(markdown: string) {
  const doc = A.change(A.from<{ body: string }>({ body: '' }), (d) => setBodyFromMarkdown(d, markdown));
  return pmDocFromSpans(hearthSchemaAdapter, A.spans(doc, ['body']));
}

export function ReadOnlyDocument({ markdown, label }: { markdown: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const view = new EditorView(element, {
      state: EditorState.create({ schema: hearthSchemaAdapter.schema, doc: pmDocOf(markdown) }),
      editable: () => false,
      nodeViews: blockNodeViews,
      attributes: { class: 'prose prose-readonly', role: 'document', 'aria-label': label },
      handleDOMEvents: {
        // A link opens in a new window, never in this page, and only web and mail links.
        click(_view, event) {
          const anchor = event.target instanceof Element ? event.target.closest('a') : null;
          if (!anchor) return false;
          event.preventDefault();
          const href = safeHref(anchor.getAttribute('href'));
          if (href) window.open(href, '_blank', 'noopener,noreferrer');
          return true;
        },
      },
    });
    return () => view.destroy();
  }, [markdown, label]);

  return <div ref={host} className="readonly-document" />;
}

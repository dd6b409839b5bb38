/**
 * The rich text editor: ProseMirror bound to the document's Automerge replica by
 * @automerge/prosemirror. Every transaction becomes an Automerge change that the replica sends
 * to main at once; remote changes come back in through the same binding.
 */
import { useEffect, useRef } from 'react';
import { init } from '@automerge/prosemirror';
import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { editingPlugins } from '../editor/commands.ts';
import { commentHighlights, emptyDocumentHint } from '../editor/highlights.ts';
import { presenceDecorations } from '../editor/presence.ts';
import { searchMatchHighlight } from '../editor/search-match.ts';
import type { DocumentReplica } from '../editor/replica.ts';
import { hearthSchemaAdapter, safeHref } from '../editor/schema.ts';
import { replicaSyncPlugin } from '../editor/sync.ts';

interface EditorProps {
  replica: DocumentReplica;
  /** Called with the view once it exists (and null when it goes), and after every state change. */
  onUpdate: (view: EditorView | null) => void;
  onLinkRequest: () => void;
  onCommentRequest: () => void;
  onThreadClick: (threadId: string) => void;
  /** False for a Viewer or Commenter in a team workspace: the text cannot be changed here. */
  editable?: boolean;
}

export function Editor({ replica, onUpdate, onLinkRequest, onCommentRequest, onThreadClick, editable = true }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const editableRef = useRef(editable);
  editableRef.current = editable;
  const callbacks = useRef({ onUpdate, onLinkRequest, onCommentRequest, onThreadClick });
  callbacks.current = { onUpdate, onLinkRequest, onCommentRequest, onThreadClick };

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const { schema, pmDoc } = init(replica, ['body'], { schemaAdapter: hearthSchemaAdapter });
    const plugin = replicaSyncPlugin(hearthSchemaAdapter, replica, ['body']);
    const view: EditorView = new EditorView(element, {
      state: EditorState.create({
        schema,
        doc: pmDoc,
        plugins: [plugin, commentHighlights, presenceDecorations, searchMatchHighlight, emptyDocumentHint, ...editingPlugins(
            () => callbacks.current.onLinkRequest(),
            () => callbacks.current.onCommentRequest(),
          ),
        ],
      }),
      attributes: () => ({
        'aria-label': 'Document text',
        'aria-multiline': 'true',
        role: 'textbox',
        class: 'prose',
        spellcheck: 'true',
        // Focusable even when read-only, so that keyboard users can reach and scroll a long text.
        tabindex: '0',
        ...(editableRef.current ? {} : { 'aria-readonly': 'true' }),
      }),
      // Remote changes still come in through the sync plugin; only the user's input is refused.
      editable: () => editableRef.current,
      dispatchTransaction(tr) {
        view.updateState(view.state.apply(tr));
        callbacks.current.onUpdate(view);
      },
      handleClickOn(_view, _pos, _node, _nodePos, event) {
        const target = event.target instanceof Element ? event.target : null;
        const anchor = target?.closest('a');
        // Links open only on a deliberate Ctrl/Cmd+click, and only web and mail links.
        if (anchor && (event.ctrlKey || event.metaKey)) {
          const href = safeHref(anchor.getAttribute('href'));
          if (href) window.open(href, '_blank', 'noopener,noreferrer');
          return true;
        }
        const thread = target?.closest('[data-thread]')?.getAttribute('data-thread');
        if (thread) callbacks.current.onThreadClick(thread);
        return false;
      },
    });
    viewRef.current = view;
    callbacks.current.onUpdate(view);
    return () => {
      viewRef.current = null;
      callbacks.current.onUpdate(null);
      view.destroy();
    };
  }, [replica]);

  // A role change (a peer made me a Viewer) takes effect in the open editor at once.
  useEffect(() => {
    const view = viewRef.current;
    if (view && view.editable !== editable) view.setProps({ editable: () => editableRef.current });
  }, [editable]);

  return <div ref={host} className="editor-host" />;
}

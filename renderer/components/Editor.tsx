/**
 * The rich text editor: ProseMirror bound to the document's Automerge replica by
 * @automerge/prosemirror. Every transaction becomes an Automerge change that the replica sends
 * to main at once; remote changes come back in through the same binding.
 */
import { useEffect, useRef, useState } from 'react';
import { init } from '@automerge/prosemirror';
import type { ResolvedPos, Slice } from 'prosemirror-model';
import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { insertFileImage, markdownClipboardParser, withExplicitCells } from '../editor/blocks.ts';
import { editingPlugins } from '../editor/commands.ts';
import { blockNodeViews } from '../editor/nodeViews.ts';
import { slashMenuPlugin, slashMenuState, type SlashMenuState } from '../editor/slashMenu.ts';
import { ImagePicker } from './blocks/ImagePicker.tsx';
import { SlashMenu } from './blocks/SlashMenu.tsx';
import './blocks/blocks.css';
import { commentHighlights, emptyDocumentHint } from '../editor/highlights.ts';
import { presenceDecorations } from '../editor/presence.ts';
import { searchMatchHighlight } from '../editor/search-match.ts';
import type { DocumentReplica } from '../editor/replica.ts';
import { hearthSchemaAdapter, safeHref } from '../editor/schema.ts';
import { replicaSyncPlugin } from '../editor/sync.ts';
import { useLibrary } from '../state/library.ts';

interface EditorProps {
  replica: DocumentReplica;
  /** Called with the view once it exists (and null when it goes), and after every state change. */
  onUpdate: (view: EditorView | null) => void;
  onLinkRequest: () => void;
  onCommentRequest: () => void;
  onThreadClick: (threadId: string) => void;
  /** False for a Viewer or Commenter in a team workspace: the text cannot be changed here. */
  editable?: boolean;
  /** The document's workspace, whose attached files image blocks show. */
  workspaceId?: string;
}

export function Editor({ replica, onUpdate, onLinkRequest, onCommentRequest, onThreadClick, editable = true, workspaceId }: EditorProps) {
  const [slashMenu, setSlashMenu] = useState<SlashMenuState | null>(null);
  const slashMenuRef = useRef<SlashMenuState | null>(null);
  const [pickingImage, setPickingImage] = useState(false);
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
        plugins: [
          plugin,
          commentHighlights,
          presenceDecorations,
          searchMatchHighlight,
          emptyDocumentHint,
          slashMenuPlugin(() => setPickingImage(true)),
          ...editingPlugins(
            () => callbacks.current.onLinkRequest(),
            () => callbacks.current.onCommentRequest(),
          ),
        ],
      }),
      nodeViews: blockNodeViews,
      // Returning null hands the text to ProseMirror's own plain-text parser (prosemirror-view's parseFromClipboard).
      clipboardTextParser: markdownClipboardParser as (text: string, $context: ResolvedPos, plain: boolean) => Slice,
      transformPasted: withExplicitCells,
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
        // Only when the menu changes: typing must not re-render this component on every key.
        const menu = slashMenuState(view.state);
        if (menu !== slashMenuRef.current) {
          slashMenuRef.current = menu;
          setSlashMenu(menu);
        }
        callbacks.current.onUpdate(view);
      },
      handleClickOn(_view, _pos, _node, _nodePos, event) {
        const target = event.target instanceof Element ? event.target : null;
        const anchor = target?.closest('a');
        // Links open only on a deliberate Ctrl/Cmd+click, and only web and mail links.
        if (anchor && (event.ctrlKey || event.metaKey)) {
          const documentId = anchor.getAttribute('data-document');
          if (documentId) {
            useLibrary.getState().openDocument(documentId);
            return true;
          }
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

  const view = viewRef.current;
  return (
    <>
      <div className="editor-frame">
        <div ref={host} className="editor-host" />
        {view && slashMenu ? <SlashMenu view={view} menu={slashMenu} onImage={() => setPickingImage(true)} /> : null}
      </div>
      {pickingImage && workspaceId ? (
        <ImagePicker
          workspaceId={workspaceId}
          onClose={() => {
            setPickingImage(false);
            viewRef.current?.focus();
          }}
          onPick={(file) => {
            setPickingImage(false);
            const current = viewRef.current;
            if (current) {
              insertFileImage(file.id, file.name)(current.state, current.dispatch);
              current.focus();
            }
          }}
        />
      ) : null}
    </>
  );
}

/**
 * The editor's schema: @automerge/prosemirror's basic schema (which speaks the Automerge rich text
 * block and mark names in common/richtext), plus the two things Hearth needs on top:
 * inline code mapped to the `code` mark, and links that can never carry a script URL.
 */
import { basicSchemaAdapter, SchemaAdapter, type MappedMarkSpec, type MappedNodeSpec } from '@automerge/prosemirror';
import type { Mark } from 'prosemirror-model';
import { MarkName } from '../../common/richtext/schema.ts';

/** Only web and mail links are followed; anything else (javascript:, data:, …) renders without an href. */
export function safeHref(href: unknown): string | null {
  if (typeof href !== 'string') return null;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : null;
  } catch {
    return null;
  }
}

function buildAdapter(): SchemaAdapter {
  const base = basicSchemaAdapter.schema.spec;
  const nodes: Record<string, MappedNodeSpec> = {};
  base.nodes.forEach((name, spec) => {
    // The adapter adds its own leaf for unknown embeds again.
    if (name !== 'unknownLeaf') nodes[name] = spec as MappedNodeSpec;
  });
  const marks: Record<string, MappedMarkSpec> = {};
  base.marks.forEach((name, spec) => {
    if (name !== 'unknownMark') marks[name] = spec as MappedMarkSpec;
  });
  marks['code'] = { ...marks['code'], automerge: { markName: MarkName.code } };
  const link = marks['link'];
  if (link) {
    marks['link'] = {
      ...link,
      toDOM(mark: Mark) {
        const href = safeHref(mark.attrs['href']);
        const title = typeof mark.attrs['title'] === 'string' ? mark.attrs['title'] : null;
        return ['a', { ...(href ? { href } : {}), ...(title ? { title } : {}), rel: 'noopener noreferrer' }, 0];
      },
    };
  }
  return new SchemaAdapter({ nodes, marks });
}

export const hearthSchemaAdapter = buildAdapter();
export const hearthSchema = hearthSchemaAdapter.schema;

/**
 * Changing a block marker in place. `A.updateBlock` deletes the marker and inserts a new one after
 * the character before it; a paragraph that another replica inserts at that same place meanwhile
 * is anchored there too, and when the two merge it can land after the new marker and take the
 * restyled block's text as its own ("# " on the wrong paragraph, two paragraphs run together).
 * Writing the marker's own fields keeps it where it is, so both edits survive.
 */
import * as A from '@automerge/automerge';
import { isImmutableString, type MaterializeValue } from '@automerge/automerge';
import { readBlockMarker } from './schema.ts';

type BlockValue = { [key: string]: MaterializeValue };

/** The scalar types a block attribute written here can have. */
type ScalarDatatype = 'str' | 'int' | 'f64' | 'boolean' | 'null';

/** Makes the marker at `index` (which reads as `from`) read as `to`. Call inside `A.change`. */
export function restyleBlock<T>(doc: A.Doc<T>, path: A.Prop[], index: number, from: BlockValue, to: BlockValue): void {
  const backend = A.getBackend(doc);
  const textId = textObjectId(doc, path);
  const marker = textId === null ? null : backend.getWithType(textId, index);
  const before = readBlockMarker(from);
  const after = readBlockMarker(to);
  const attrs = Object.entries(after.attrs).map(([name, value]) => [name, scalarOf(value)] as const);
  if (marker?.[0] !== 'map' || attrs.some(([, scalar]) => scalar === null)) {
    // Not a marker this module can write field by field (attributes that are objects): replace it.
    A.updateBlock(doc, path, index, to);
    return;
  }
  const blockId = marker[1];
  if (before.type !== after.type) backend.put(blockId, 'type', after.type);
  if (before.isEmbed !== after.isEmbed) backend.put(blockId, 'isEmbed', after.isEmbed);
  if (before.parents.join('\u0000') !== after.parents.join('\u0000') || before.parents.length !== after.parents.length) {
    const parents = backend.putObject(blockId, 'parents', []);
    after.parents.forEach((parent, position) => backend.insert(parents, position, parent));
  }
  const currentAttrs = backend.getWithType(blockId, 'attrs');
  const attrsId = currentAttrs?.[0] === 'map' ? currentAttrs[1] : backend.putObject(blockId, 'attrs', {});
  for (const [name, scalar] of attrs) {
    const old = scalarOf(before.attrs[name]);
    if (old === null || old.value !== scalar!.value || old.datatype !== scalar!.datatype) backend.put(attrsId, name, scalar!.value, scalar!.datatype);
  }
  for (const name of Object.keys(before.attrs)) if (!(name in after.attrs)) backend.delete(attrsId, name);
}

/** The object id of the text at `path`, read through the document's proxies. */
function textObjectId(doc: unknown, path: A.Prop[]): A.ObjID | null {
  let parent: unknown = doc;
  for (const key of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return null;
    parent = (parent as Record<string | number, unknown>)[key];
  }
  const key = path[path.length - 1];
  return key === undefined ? null : A.getObjectId(parent, key);
}

/** A block attribute as a scalar Automerge stores; null for objects, lists and the rest. */
function scalarOf(value: MaterializeValue | undefined): { value: string | number | boolean | null; datatype: ScalarDatatype } | null {
  if (isImmutableString(value)) return { value: value.val, datatype: 'str' };
  if (typeof value === 'string') return { value, datatype: 'str' };
  if (typeof value === 'number') return { value, datatype: Number.isInteger(value) ? 'int' : 'f64' };
  if (typeof value === 'boolean') return { value, datatype: 'boolean' };
  if (value === null) return { value, datatype: 'null' };
  return null;
}

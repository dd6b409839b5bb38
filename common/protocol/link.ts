/**
 * Public share links. The document copy is encrypted with AES-256-GCM under a key that lives only
 * in the link's fragment (after '#'), which browsers never send to the relay. AES-GCM through
 * WebCrypto is used (not libsodium) so the relay's viewer page can decrypt with the browser alone.
 *
 *   ciphertext = 12-byte IV || AES-GCM(key, IV, UTF-8 JSON {title, text, markdown?, publishedAt?, expiresAt?, blocks?, images?}, AAD = "hearth-link-v1:" + linkId)
 *
 * The viewer page in sync-server/viewer-page.ts implements the same decryption in the browser.
 */
import { z } from 'zod';
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { LinkBlockSchema } from '../richtext/linkDocument.ts';

/** An image a link carries: a data URL of a raster image type a browser shows without running anything. */
export const LinkImageSchema = z
  .string()
  .max(4 * 1024 * 1024)
  .regex(/^data:image\/(png|jpeg|gif|webp|avif|bmp);base64,[A-Za-z0-9+/]*={0,2}$/);

/**
 * `text` is the plain text, which a page for links made before `blocks` shows; `blocks` is the
 * rich text the viewer page renders (common/richtext/linkDocument.ts), and `images` the attached
 * images it shows, by file id, when the person publishing chose to include them. The app opens
 * a link as Markdown and shows when it was published and until when it is valid.
 */
export const LinkContentSchema = z.strictObject({
  title: z.string(),
  text: z.string(),
  markdown: z.string().optional(),
  publishedAt: z.number().int().min(0).optional(),
  expiresAt: z.number().int().min(0).nullable().optional(),
  blocks: z.array(LinkBlockSchema).optional(),
  images: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), LinkImageSchema).optional(),
});
export type LinkContent = z.infer<typeof LinkContentSchema>;

const IV_BYTES = 12;

function aad(linkId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(utf8(`hearth-link-v1:${linkId}`));
}

async function importKey(raw: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Encrypts a document copy for a link; the returned key goes into the URL fragment only. */
export async function sealLink(linkId: string, content: LinkContent): Promise<{ ciphertext: Uint8Array; fragmentKey: string }> {
  const rawKey = randomBytes(32);
  const iv = new Uint8Array(randomBytes(IV_BYTES));
  const key = await importKey(rawKey);
  const body = new Uint8Array(utf8(JSON.stringify(LinkContentSchema.parse(content))));
  const encrypted = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(linkId) }, key, body));
  const ciphertext = new Uint8Array(IV_BYTES + encrypted.length);
  ciphertext.set(iv, 0);
  ciphertext.set(encrypted, IV_BYTES);
  return { ciphertext, fragmentKey: toBase64Url(rawKey) };
}

/** Decrypts a link's ciphertext with the fragment key; undefined if key, id or bytes do not match. */
export async function openLink(linkId: string, ciphertext: Uint8Array, fragmentKey: string): Promise<LinkContent | undefined> {
  try {
    const key = await importKey(fromBase64Url(fragmentKey));
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(ciphertext.subarray(0, IV_BYTES)), additionalData: aad(linkId) },
      key,
      new Uint8Array(ciphertext.subarray(IV_BYTES)),
    );
    return LinkContentSchema.parse(JSON.parse(new TextDecoder().decode(plain)));
  } catch {
    return undefined;
  }
}

/**
 * The public link viewer: a static page that fetches the link's ciphertext from /p/<id>/data and
 * decrypts it in the browser with the key in the URL fragment (which browsers never send), using
 * the format of common/protocol/link.ts. The relay serves the same bytes for every link.
 *
 * The document arrives as a tree of blocks (common/richtext/linkDocument.ts) and is built with
 * createElement and textContent alone: nothing in it is ever parsed as HTML, links keep only web
 * and mail addresses, and images only the data: URLs of raster images the link itself carries.
 * A link made before the tree existed shows its plain text. A revoked, expired or unknown link,
 * and a key that does not match, each get a page that says so and what to do.
 */
import { createHash } from 'node:crypto';

/** Runs in the browser; kept free of template values so its hash (for the CSP) is fixed. */
export const viewerScript = `
(async () => {
  const byId = (id) => document.getElementById(id);
  const make = (tag, className) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    return element;
  };
  const when = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'short' });
  const end = (heading, text) => {
    document.title = heading;
    document.body.classList.add('ended');
    byId('title').textContent = heading;
    byId('status').textContent = text;
    byId('meta').hidden = true;
  };
  const imagePattern = /^data:image\\/(png|jpeg|gif|webp|avif|bmp);base64,[A-Za-z0-9+/]*={0,2}$/;
  const linkPattern = /^(https?:\\/\\/|mailto:)/i;
  let images = {};

  const inline = (parent, runs) => {
    for (const run of Array.isArray(runs) ? runs : []) {
      if (run && typeof run.img === 'string') {
        const src = Object.prototype.hasOwnProperty.call(images, run.img) ? images[run.img] : null;
        if (typeof src === 'string' && imagePattern.test(src)) {
          const image = make('img');
          image.src = src;
          image.alt = String(run.alt || '');
          if (run.title) image.title = String(run.title);
          parent.append(image);
        } else {
          const missing = make('span', 'missing-image');
          missing.textContent = 'Image not included' + (run.alt ? ': ' + String(run.alt) : '');
          parent.append(missing);
        }
        continue;
      }
      if (!run || typeof run.t !== 'string') continue;
      let node = document.createTextNode(run.t);
      const wrap = (tag) => {
        const element = make(tag);
        element.append(node);
        node = element;
      };
      if (run.c) wrap('code');
      if (run.i) wrap('em');
      if (run.b) wrap('strong');
      if (typeof run.a === 'string' && linkPattern.test(run.a)) {
        const anchor = make('a');
        anchor.href = run.a;
        anchor.rel = 'noopener noreferrer nofollow';
        anchor.append(node);
        node = anchor;
      }
      parent.append(node);
    }
  };

  const blocks = (parent, list, depth) => {
    if (depth > 200) return;
    for (const block of Array.isArray(list) ? list : []) {
      if (!block) continue;
      if (block.k === 'p') {
        const p = make('p');
        inline(p, block.c);
        parent.append(p);
      } else if (block.k === 'h') {
        // The page's own h1 is the title, so the document's headings sit one level below it.
        const heading = make('h' + Math.min(6, Math.max(1, Number(block.l) || 1) + 1));
        inline(heading, block.c);
        parent.append(heading);
      } else if (block.k === 'pre') {
        const pre = make('pre');
        const code = make('code');
        code.textContent = String(block.text || '');
        if (block.lang) pre.dataset.language = String(block.lang);
        pre.append(code);
        parent.append(pre);
      } else if (block.k === 'quote') {
        const quote = make('blockquote');
        blocks(quote, block.c, depth + 1);
        parent.append(quote);
      } else if (block.k === 'list') {
        const listElement = make(block.ordered ? 'ol' : 'ul');
        for (const item of Array.isArray(block.items) ? block.items : []) {
          const li = make('li');
          if (item.checked === true || item.checked === false) {
            li.className = 'task';
            const box = make('input');
            box.type = 'checkbox';
            box.checked = item.checked;
            box.disabled = true;
            box.setAttribute('aria-label', item.checked ? 'Done' : 'Not done');
            li.append(box);
            if (item.checked) li.classList.add('done');
          }
          const content = make('div');
          blocks(content, item.c, depth + 1);
          li.append(content);
          listElement.append(li);
        }
        parent.append(listElement);
      } else if (block.k === 'table') {
        const wrapper = make('div', 'table-scroll');
        const table = make('table');
        const rows = Array.isArray(block.rows) ? block.rows : [];
        const width = Math.max(1, ...rows.map((row) => (Array.isArray(row) ? row.length : 0)));
        const align = Array.isArray(block.align) ? block.align : [];
        rows.forEach((row, rowIndex) => {
          const section = rowIndex === 0 ? make('thead') : table.tBodies[0] || table.appendChild(make('tbody'));
          const tr = make('tr');
          for (let column = 0; column < width; column++) {
            const cell = make(rowIndex === 0 ? 'th' : 'td');
            if (rowIndex === 0) cell.scope = 'col';
            if (align[column] === 'left' || align[column] === 'center' || align[column] === 'right') cell.className = 'align-' + align[column];
            inline(cell, Array.isArray(row) ? row[column] : []);
            tr.append(cell);
          }
          section.append(tr);
          if (rowIndex === 0) table.append(section);
        });
        wrapper.append(table);
        parent.append(wrapper);
      } else if (block.k === 'hr') {
        parent.append(make('hr'));
      }
    }
  };

  try {
    const id = location.pathname.split('/').filter(Boolean)[1] || '';
    const keyText = location.hash.slice(1);
    if (!keyText) return end('This link is incomplete', 'It is missing its key, the part after “#”. Ask whoever shared it for the whole link.');
    const b64 = keyText.replace(/-/g, '+').replace(/_/g, '/');
    const raw = Uint8Array.from(atob(b64 + '==='.slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
    const response = await fetch('/p/' + encodeURIComponent(id) + '/data', { cache: 'no-store', referrerPolicy: 'no-referrer' });
    if (response.status === 410) {
      let reason = {};
      try {
        reason = await response.json();
      } catch {}
      if (reason.reason === 'expired') {
        const at = Number(reason.expiredAt);
        return end('This link has expired', (at > 0 ? 'It stopped working on ' + when(at) + '. ' : '') + 'Ask whoever shared it for a new link.');
      }
      return end('This link was revoked', 'Whoever shared it has withdrawn it, and the copy it showed is gone. Ask them for a new link if you still need the document.');
    }
    if (!response.ok) return end('This link does not exist', 'Check that you copied the whole address, or ask whoever shared it for the link again.');
    const sealed = new Uint8Array(await response.arrayBuffer());
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.slice(0, 12), additionalData: new TextEncoder().encode('hearth-link-v1:' + id) },
      key,
      sealed.slice(12),
    );
    const doc = JSON.parse(new TextDecoder().decode(plain));
    images = doc.images && typeof doc.images === 'object' ? doc.images : {};
    document.title = String(doc.title);
    byId('title').textContent = String(doc.title) || 'Untitled';
    const published = Number(doc.publishedAt) > 0 ? 'Published ' + when(Number(doc.publishedAt)) : 'Published copy';
    const expires = Number(doc.expiresAt) > 0 ? 'expires ' + when(Number(doc.expiresAt)) : doc.expiresAt === null ? 'does not expire' : '';
    byId('dates').textContent = published + (expires ? ' · ' + expires : '');
    const body = byId('body');
    if (Array.isArray(doc.blocks)) blocks(body, doc.blocks, 0);
    else for (const paragraph of String(doc.text).split('\\n')) {
      const p = make('p');
      p.textContent = paragraph;
      body.append(p);
    }
    byId('status').hidden = true;
    byId('meta').hidden = false;
  } catch {
    end('This link cannot be opened', 'Its key does not match: check that you copied the whole link, including the part after “#”.');
  }
})();
`;

export const viewerScriptHash = `sha256-${createHash('sha256').update(viewerScript).digest('base64')}`;

export const viewerCsp = [
  "default-src 'none'",
  `script-src '${viewerScriptHash}'`,
  "style-src 'unsafe-inline'",
  // Only the images the link itself carries, as data: URLs; nothing is fetched from elsewhere.
  'img-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const viewerStyle = `
:root{color-scheme:light dark;--bg:#faf8f5;--text:#24201c;--muted:#5c534a;--rule:#ddd5ca;--soft:#f2eee8;--accent:#8f3414}
@media (prefers-color-scheme:dark){:root{--bg:#1b1917;--text:#eee8e2;--muted:#b8aea3;--rule:#4a433d;--soft:#2e2a27;--accent:#ffab85}}
*{box-sizing:border-box}
body{font:17px/1.6 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:var(--bg);color:var(--text)}
main{max-width:46rem;margin:0 auto;padding:2.5rem 1.25rem 4rem}
header{border-bottom:1px solid var(--rule);margin-bottom:1.5rem;padding-bottom:1rem}
h1{font-size:2rem;line-height:1.25;margin:0 0 .5rem}
.note{margin:0;color:var(--muted);font-size:.95rem}
.note strong{color:var(--text)}
#status{color:var(--muted)}
.ended main{padding-top:5rem}
.ended header{border-bottom:none}
.ended #status{font-size:1.1rem;color:var(--text)}
#body p{white-space:pre-wrap;margin:0 0 1em}
#body h2,#body h3,#body h4,#body h5,#body h6{line-height:1.3;margin:1.4em 0 .5em}
a{color:var(--accent)}
code,pre{font-family:ui-monospace,'SFMono-Regular','DejaVu Sans Mono',Menlo,monospace;font-size:.9em;background:var(--soft);border-radius:4px}
code{padding:1px 4px}
pre{position:relative;padding:.9rem 1rem;overflow-x:auto;border-radius:8px}
pre code{padding:0;background:none}
pre[data-language]::before{content:attr(data-language);position:absolute;top:.3rem;right:.7rem;font:12px system-ui,sans-serif;color:var(--muted)}
blockquote{margin:0 0 1em;padding-left:1rem;border-left:3px solid var(--accent);color:var(--muted)}
ul,ol{padding-left:1.6em;margin:0 0 1em}
#body li>div>p{margin:0 0 .25em}
#dates{display:block;margin-top:.25rem}
li.task{list-style:none;display:flex;gap:.5rem;align-items:baseline;margin-left:-1.4em}
li.task input{margin:0;position:relative;top:2px}
li.task.done>div{color:var(--muted);text-decoration:line-through}
hr{border:none;border-top:2px solid var(--rule);margin:1.5em 0}
.table-scroll{overflow-x:auto;margin:0 0 1em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid var(--rule);padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
.align-center{text-align:center}.align-right{text-align:right}
img{max-width:100%;border-radius:8px}
.missing-image{display:inline-block;padding:.2rem .5rem;border:1px dashed var(--rule);border-radius:6px;color:var(--muted);font-size:.9rem}
`;

export const viewerPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>Shared document</title>
<style>${viewerStyle}</style>
</head><body><main><header><h1 id="title">Opening the shared document…</h1>
<p id="meta" class="note" hidden><strong>Read-only copy.</strong> This page shows the document as it was when the link was made; it cannot be edited here, and later changes do not appear. <span id="dates"></span></p>
<p id="status" role="status">Decrypting…</p></header>
<article id="body" aria-labelledby="title"></article>
<script>${viewerScript}</script></main></body></html>`;

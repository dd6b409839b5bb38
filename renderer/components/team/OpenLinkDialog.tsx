/**
 * Opens a public link inside Hearth: paste it, read the shared document read-only (title, when it
 * was published, when it expires, its text). Hearth fetches links only from relays the user added
 * (S8); a link hosted anywhere else asks first, and opens only after an explicit yes for that one
 * link — or the user takes it to a web browser instead.
 */
import { useState, type FormEvent } from 'react';
import { AlertTriangle, ExternalLink } from 'lucide-react';
import type { OpenedLink } from '../../../common/api/contract.ts';
import { ApiFailure, call, hearth, messageOf } from '../../state/api.ts';
import { safeHref } from '../../editor/schema.ts';
import { formatExact } from '../format.ts';
import { Modal } from '../Modal.tsx';
import { ReadOnlyDocument } from '../ReadOnlyDocument.tsx';

type Step =
  | { kind: 'idle' }
  | { kind: 'opening' }
  | { kind: 'other-host'; url: string; host: string }
  | { kind: 'failed'; message: string }
  | { kind: 'opened'; link: OpenedLink };

function hostOf(url: string): string {
  try {
    return new URL(url.trim()).host;
  } catch {
    return 'another host';
  }
}

export function OpenLinkDialog({ onClose }: { onClose: () => void }) {
  const [url, setUrl] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'idle' });

  const open = async (address: string, otherHost: boolean) => {
    setStep({ kind: 'opening' });
    try {
      const link = await call(otherHost ? hearth().openLink(address, { otherHost: true }) : hearth().openLink(address));
      setStep({ kind: 'opened', link });
    } catch (error) {
      // FORBIDDEN here means one thing: the link is not on a relay this vault added (nothing was fetched).
      if (error instanceof ApiFailure && error.code === 'FORBIDDEN' && !otherHost) setStep({ kind: 'other-host', url: address, host: hostOf(address) });
      else setStep({ kind: 'failed', message: messageOf(error) });
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const address = url.trim();
    if (!address) return setStep({ kind: 'failed', message: 'Paste a public link first; one looks like https://relay.example/p/<id>#<key>.' });
    void open(address, false);
  };

  return (
    <Modal
      title="Open a public link"
      description="Read a document someone published as a public link. It opens here read-only; the key after “#” stays on this device."
      onClose={onClose}
      wide
    >
      <form className="invite-row open-link-form" onSubmit={submit} aria-label="Link to open">
        <label className="field">
          <span>Link</span>
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://relay.example/p/…#…"
            maxLength={8192}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            data-autofocus
          />
        </label>
        <button type="submit" className="button button-primary" disabled={step.kind === 'opening'}>
          {step.kind === 'opening' ? 'Opening…' : 'Open'}
        </button>
      </form>

      {step.kind === 'other-host' ? <OtherHost step={step} onConfirm={() => void open(step.url, true)} onCancel={() => setStep({ kind: 'idle' })} /> : null}
      {step.kind === 'failed' ? (
        <p role="alert" className="form-error">
          {step.message}
        </p>
      ) : null}
      {step.kind === 'opened' ? <Opened link={step.link} /> : null}
    </Modal>
  );
}

function OtherHost({ step, onConfirm, onCancel }: { step: { url: string; host: string }; onConfirm: () => void; onCancel: () => void }) {
  const browserHref = safeHref(step.url);
  return (
    <section className="leave-device other-host" aria-labelledby="other-host-title">
      <div role="alert">
        <h3 id="other-host-title">
          <AlertTriangle aria-hidden size={16} /> This link is on {step.host}, not a relay you added. Open it anyway?
        </h3>
        <p>
          Hearth only talks to the relays you added, so nothing was fetched. If you open it, Hearth asks {step.host} for this one link’s encrypted copy (the key
          after “#” is not sent) and nothing else. You can also open the link in a web browser instead.
        </p>
      </div>
      <div className="modal-actions">
        {browserHref ? (
          <a className="button button-quiet" href={browserHref} target="_blank" rel="noopener noreferrer">
            <ExternalLink aria-hidden size={14} /> Open in a browser
          </a>
        ) : null}
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button-primary" onClick={onConfirm}>
          Open anyway
        </button>
      </div>
    </section>
  );
}

function Opened({ link }: { link: OpenedLink }) {
  const title = link.title || 'Untitled';
  return (
    <article className="opened-link" aria-labelledby="opened-link-title">
      <header className="opened-link-header">
        <h3 id="opened-link-title">{title}</h3>
        <p className="muted">
          {link.publishedAt ? `Published ${formatExact(link.publishedAt)}` : 'Published earlier'}
          {' · '}
          {link.expiresAt === null ? 'no expiry' : `expires ${formatExact(link.expiresAt)}`}
          {' · read-only'}
        </p>
      </header>
      <ReadOnlyDocument markdown={link.markdown} label={`Text of ${title}`} />
    </article>
  );
}

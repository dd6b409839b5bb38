/**
 * The one rule for where Hearth may talk in the clear. Usernames, names, avatars, signatures and
 * every piece of metadata travel to a relay, so an address is accepted only when that traffic is
 * encrypted in transit: `wss://` (and `https://` for public links) anywhere, `ws://` and `http://`
 * only to this machine (127.0.0.0/8, ::1, localhost), where nothing crosses a network. The app,
 * the CLI, the sync engine and link opening all ask here, before any connection is made.
 */
import { HearthError } from './errors.ts';

/** The oldest TLS version a Hearth client accepts from a relay (wss://, https://). */
export const MIN_TLS_VERSION = 'TLSv1.3';

/** Whether `hostname` (as URL parses it: lower case, IPv6 in brackets, IPv4 normalised) is this machine. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  return octets !== null && octets[1] === '127' && octets.slice(1).every((part) => Number(part) <= 255);
}

function parsed(text: string, what: string, example: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new HearthError('BAD_REQUEST', `${text} is not ${what}; one looks like ${example}.`);
  }
}

/**
 * A relay address Hearth may connect to: `wss://` anywhere, `ws://` only to loopback. Anything
 * else is refused (INSECURE_TRANSPORT for ws:// elsewhere) with what to use instead.
 */
export function checkRelayAddress(text: string): URL {
  const url = parsed(text, 'a relay address', 'wss://relay.example');
  if (url.protocol === 'wss:') return url;
  if (url.protocol !== 'ws:')
    throw new HearthError('BAD_REQUEST', `${text} is not a relay address: it starts with wss:// (or ws:// for a relay on this computer).`);
  if (isLoopbackHost(url.hostname)) return url;
  throw new HearthError(
    'INSECURE_TRANSPORT',
    `Hearth does not connect to ${url.host} over ws://: your username, name, avatar and all metadata would cross the network unencrypted. Use wss://${url.host}${url.pathname === '/' ? '' : url.pathname} (TLS 1.3); ws:// is only for a relay on this computer.`,
  );
}

/** A public link's address Hearth may fetch: `https://` anywhere, `http://` only to loopback. */
export function checkLinkAddress(url: URL): URL {
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return url;
  if (url.protocol !== 'http:') throw new HearthError('BAD_REQUEST', `${url.href} is not a Hearth link; one starts with https://.`);
  throw new HearthError(
    'INSECURE_TRANSPORT',
    `Hearth does not fetch links from ${url.host} over http://: what you open would cross the network unencrypted. Use the link's https:// address; http:// is only for a relay on this computer.`,
  );
}

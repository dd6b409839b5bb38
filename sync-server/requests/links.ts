/** Public read-only links to one document: linkCreate, linkRevoke. */
import { HearthError } from '../../common/errors.ts';
import { limitError } from '../refusals.ts';
import { ok, writerOf, type Member, type Request } from './request.ts';

export async function linkCreate({ relay, frame, send, now }: Request<'linkCreate'>, caller: Member): Promise<void> {
  const { maxLinkBytes, bytesPerSpace } = relay.limits;
  if (frame.parts[0]!.length > maxLinkBytes) throw limitError('TOO_LARGE', 'maxLinkBytes', `A shared copy is at most ${maxLinkBytes} bytes.`);
  if (frame.expiresAt !== null && frame.expiresAt <= now) throw new HearthError('BAD_REQUEST', 'The expiry is in the past; choose a later time.');
  await relay.store.putLink(frame.link, frame.space, caller.account, frame.parts[0]!, frame.expiresAt, bytesPerSpace, now, frame.doc ?? null, writerOf(caller));
  relay.log.write('info', 'link_created', { space: frame.space, link: frame.link });
  send(ok(frame.rid));
}

export async function linkRevoke({ relay, frame, send }: Request<'linkRevoke'>, caller: Member): Promise<void> {
  if (!(await relay.store.revokeLink(frame.space, frame.link, writerOf(caller))))
    throw new HearthError('NOT_FOUND', 'No active link with that id in this space.');
  await relay.store.driver.scrub(); // S6: the dropped copy leaves the WAL too
  relay.log.write('info', 'link_revoked', { space: frame.space, link: frame.link });
  send(ok(frame.rid));
}

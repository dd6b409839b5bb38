/** An account's own business: access (the right-of-access report) and deleteAccount. */
import { HearthError } from '../../common/errors.ts';
import { LOG_CONTENTS } from '../relay-log.ts';
import { ok, type Request, type SignedIn } from './request.ts';

export async function access({ relay, frame, send }: Request<'access'>, { account }: SignedIn): Promise<void> {
  const report = await relay.store.accessReport(account);
  if (!report) throw new HearthError('NOT_FOUND', 'This account no longer exists.');
  const { record } = report;
  send({
    t: 'access',
    rid: frame.rid,
    report: {
      account,
      username: record.username,
      displayName: record.displayName,
      boxPublicKey: record.boxPublicKey,
      createdAt: record.createdAt,
      lastSignInAt: record.lastSignInAt,
      avatarBytes: record.avatar?.length ?? 0,
      bytesStored: report.bytesStored,
      spaces: report.spaces,
      envelopes: report.envelopes,
      links: report.links,
      devices: report.devices,
      logs: { retentionDays: relay.logDays, holds: LOG_CONTENTS },
    },
    parts: record.avatar ? [record.avatar] : [],
  });
}

export async function deleteAccount({ relay, frame, send, now }: Request<'deleteAccount'>, { account }: SignedIn): Promise<void> {
  const { store, hub, purgeWindowMs } = relay;
  const outliving = await store.spacesOutliving(account);
  if (outliving.length > 0) {
    throw new HearthError(
      'CONFLICT',
      `This account is still a member of ${outliving.length} space(s) that other Owners keep; leave each first with a signed account_deleted membership entry (Hearth does this for you), then delete the account.`,
    );
  }
  await store.markAccountDeleted(account, now); // also revokes every link it created
  const purged = purgeWindowMs === 0 ? await store.purgeDeleted(now) : [];
  if (purgeWindowMs !== 0) await store.driver.scrub(); // (a purge scrubs by itself)
  for (const space of purged) hub.forgetSpace(space, true);
  // The relay log keeps that it happened and how much went: no content, no account id, and no
  // connection id or pseudonym that would tie it to the same caller's sign-in lines.
  relay.log.write('info', 'account_deleted', { spacesDeleted: purged.length, purgeWindowMs });
  send(ok(frame.rid));
  hub.closeAccount(account);
}

/**
 * Where the sync modules are built and wired to each other: each gets the narrow host it asks
 * for, made of the other modules' methods, so no module imports another's class to call it and
 * the import graph stays a tree. Also where the vault's listeners are attached (local edits go to
 * the outbox, deletions are reconciled, deleted documents' links are revoked).
 */
import { checkRelayAddress } from '../../common/transport.ts';
import type { WebSocketLike } from '../../common/protocol/client.ts';
import { RelayClient } from '../../common/protocol/client.ts';
import { fromHex, toBase64Url } from '../../common/crypto/sodium.ts';
import type { Vault } from '../vault/vault.ts';
import { AccountDeletion } from './account.ts';
import { RelayConnections } from './connections.ts';
import { AccountDevices } from './devices.ts';
import { DeviceChanges } from './device-changes.ts';
import { DevicePairing } from './pairing.ts';
import { AccountRecovery } from './recovery.ts';
import { Deletion } from './deletion.ts';
import { FileSync } from './file-sync.ts';
import { HistoryRequests } from './history-requests.ts';
import { Generations } from './generations.ts';
import { Inbound } from './inbound.ts';
import { Invitations } from './invitations.ts';
import { PublicLinks } from './links.ts';
import { Members } from './members.ts';
import { Membership } from './membership.ts';
import { Outbox } from './outbox.ts';
import { AccountPermissions } from './permissions.ts';
import { ProfilePublisher } from './profile.ts';
import { PresenceHub, type PresenceOptions } from './presence.ts';
import { SpaceQueues } from './queues.ts';
import { Rounds } from './rounds.ts';
import { Sharing } from './sharing.ts';
import { SpaceRegistry } from './spaces.ts';
import { StatusBoard } from './status.ts';
import { TeamWorkspaces } from './team-workspaces.ts';
import { DeviceSync } from './device-sync.ts';
import { INDEX_DOC } from './workspace-index.ts';

/** What a SyncEngine can be given (engine.ts fills in the defaults for what is left out). */
export interface SyncEngineOptions {
  /** Opens a WebSocket; the `ws` package by default. Tests pass a recorder or a hostile proxy here. */
  createSocket?: (url: string) => WebSocketLike;
  /** Reconnect backoff: the first delay and the cap, in ms (doubled per failure, with jitter). */
  backoff?: { initialMs: number; maxMs: number };
  /** Largest blob the outbox coalesces queued changes into. */
  maxBlobBytes?: number;
  /** After this many relay changes past the last snapshot, a writer uploads an encrypted snapshot. */
  snapshotEvery?: number;
  /** Presence heartbeat, expiry and throttle (main/sync/presence.ts); defaults 10 s, 30 s, 50 ms. */
  presence?: PresenceOptions;
}

export interface AssemblyOptions {
  createSocket: (url: string) => WebSocketLike;
  /** Opens a relay connection (not signed in); by default RelayClient.connect over `createSocket`. Unit tests pass an in-memory relay. */
  connect?: (url: string) => Promise<RelayClient>;
  backoff: { initialMs: number; maxMs: number };
  maxBlobBytes: number;
  snapshotEvery: number;
  presence: PresenceOptions;
}

/** Every module of one vault's sync engine. */
export interface SyncModules {
  account: string;
  spaces: SpaceRegistry;
  status: StatusBoard;
  connections: RelayConnections;
  devices: AccountDevices;
  deviceChanges: DeviceChanges;
  pairing: DevicePairing;
  recovery: AccountRecovery;
  queues: SpaceQueues;
  permissions: AccountPermissions;
  membership: Membership;
  members: Members;
  teams: TeamWorkspaces;
  deviceSync: DeviceSync;
  outbox: Outbox;
  inbound: Inbound;
  generations: Generations;
  files: FileSync;
  sharing: Sharing;
  invitations: Invitations;
  deletion: Deletion;
  rounds: Rounds;
  presence: PresenceHub;
  accountDeletion: AccountDeletion;
  links: PublicLinks;
  profile: ProfilePublisher;
  /** Whether the relays these spaces live on answer now. */
  reachable(spaces: string[]): Promise<boolean>;
  /** Detaches every listener from the vault. */
  detach(): void;
}

/** Builds the modules for `vault` and attaches them to its change events. */
export function assembleSync(vault: Vault, options: AssemblyOptions): SyncModules {
  const account = toBase64Url(fromHex(vault.publicKeys.signPublicKey));
  const spaces = new SpaceRegistry(vault);
  const status = new StatusBoard({
    spaceOf: (spaceId) => spaces.state(spaceId),
    name: (spaceId) => spaces.name(spaceId),
    pending: (spaceId) => vault.syncState.outboxCount(spaceId),
    quarantined: (spaceId) => vault.syncState.quarantineCount(spaceId),
    waiting: (spaceId) => inbound.waitingCount(spaceId),
  });
  // Every connection passes here, so an address stored before the transport rule existed is refused too.
  const openSocket = (url: string) => {
    checkRelayAddress(url);
    return options.createSocket(url);
  };
  const devices = new AccountDevices({ vault });
  const connectRelay = options.connect ?? ((url: string) => RelayClient.connect(url, openSocket));
  const connections = new RelayConnections({ vault, devices, connect: connectRelay });
  const queues = new SpaceQueues();
  const permissions = new AccountPermissions({ vault, account, spaces });
  const client = (url: string) => connections.client(url);
  const openClient = (url: string) => connections.open(url);
  const reachable = (ids: string[]) => connections.reachable(ids.map((id) => spaces.get(id).relay));
  // The modules call each other through these closures, which run only once all are built.
  const base = { vault, account, spaces, status, queues };
  const live = () => rounds.live;
  const push = (spaceId: string, c: RelayClient) => outbox.push(spaceId, c);
  const syncSpace = (spaceId: string, c: RelayClient, follow: boolean) => rounds.syncSpace(spaceId, c, follow);
  const ensureRelayLoop = (url: string) => rounds.ensureRelayLoop(url);
  const refresh = (spaceId: string) => membership.refresh(spaceId);
  const revokeDeletedLinks = (onlyRelay?: string) => links.revokeDeleted(onlyRelay);

  const membership: Membership = new Membership({
    ...base,
    client,
    devices,
    afterMembership: (spaceId, c) => accountDeletion.afterMembership(spaceId, c),
    pullIndex: (spaceId, c) => inbound.pull(spaceId, INDEX_DOC, c),
  });
  const deviceChanges = new DeviceChanges({ vault, devices, membership, spaces, client: (url) => connections.client(url) });
  const outbox: Outbox = new Outbox({
    ...base,
    maxBlobBytes: options.maxBlobBytes,
    snapshotEvery: options.snapshotEvery,
    isLive: live,
    openClient,
    pushedNew: (spaceId, documentId, c) => rounds.pushedNew(spaceId, documentId, c),
  });
  const inbound: Inbound = new Inbound({
    ...base,
    afterRemoteComment: (spaceId, record, signer) => accountDeletion.afterRemoteComment(spaceId, record, signer),
    removed: (spaceId, documents, removedFiles) => {
      for (const doc of documents) deletion.deletedByPeer(spaceId, doc);
      files.removed(spaceId, removedFiles);
    },
    forward: (spaceId, documentId) => outbox.forward(spaceId, documentId),
    adoptGeneration: (spaceId, documentId, change, plaintext, seq) => {
      generations.adopt(spaceId, documentId, change, plaintext, seq);
    },
  });
  const generations: Generations = new Generations({
    ...base,
    permissions,
    refreshIfReachable: (spaceId) => membership.refreshIfReachable(spaceId),
    push,
    pull: (spaceId, documentId, c) => inbound.pull(spaceId, documentId, c),
    endShareIfAlone: (documentId) => sharing.endIfAlone(documentId),
  });
  const members: Members = new Members({ ...base, permissions, membership, push, syncSpace: (spaceId, c) => syncSpace(spaceId, c, false) });
  const teams: TeamWorkspaces = new TeamWorkspaces({
    ...base,
    connections,
    membership,
    permissions,
    client,
    isLive: live,
    push,
    syncSpace,
    ensureRelayLoop,
    endOwnShares: (documents) => sharing.endOwn(documents),
  });
  const deviceSync: DeviceSync = new DeviceSync({
    ...base,
    connections,
    membership,
    client,
    isLive: live,
    syncSpace,
    ensureRelayLoop,
    rejoin: (spaceId) => invitations.accept(spaceId),
  });
  const files: FileSync = new FileSync({
    ...base,
    permissions,
    isLive: live,
    openClient,
    refreshIfReachable: (spaceId) => membership.refreshIfReachable(spaceId),
    reachable,
    push,
  });
  const sharing: Sharing = new Sharing({
    ...base,
    permissions,
    connections,
    membership,
    members,
    client,
    isLive: live,
    syncSpace,
    ensureRelayLoop,
    forgetHistory: (documentId) => generations.forget(documentId),
  });
  const invitations: Invitations = new Invitations({
    ...base,
    membership,
    client,
    isLive: live,
    acceptShare: (invitation, peek, c) => sharing.accept(invitation, peek, c),
    syncSpace,
    ensureRelayLoop,
  });
  const pairing = new DevicePairing({
    vault,
    account,
    devices,
    deviceChanges,
    spaces,
    invitations,
    connect: connectRelay,
    client: (url) => connections.client(url),
  });
  const recovery = new AccountRecovery({
    vault,
    devices,
    deviceChanges,
    pairing,
    connect: connectRelay,
    client: (url) => connections.client(url),
  });
  const deletion: Deletion = new Deletion({
    ...base,
    permissions,
    isLive: live,
    client,
    openClient,
    refreshIfReachable: (spaceId) => membership.refreshIfReachable(spaceId),
    reachable,
    push,
    pull: (spaceId, documentId, c) => inbound.pull(spaceId, documentId, c),
    syncFiles: (spaceId, c) => files.sync(spaceId, c),
    revokeDeletedLinks: () => revokeDeletedLinks(),
    endOrphanShares: () => sharing.endOrphans(),
    endOwnShares: (documents) => sharing.endOwn(documents),
  });
  const history = new HistoryRequests({ vault, account, spaces, inbound });
  const rounds: Rounds = new Rounds({
    ...base,
    membership,
    outbox,
    inbound,
    history,
    files,
    deletion,
    sharing,
    deviceSync,
    backoff: options.backoff,
    client,
    whenClosed: (c) => connections.whenClosed(c),
    closeAll: () => connections.closeAll(),
    revokeDeletedLinks,
  });
  const presence: PresenceHub = new PresenceHub(
    {
      vault,
      account,
      spaceOf: (space) => {
        const state = spaces.state(space);
        return state ? { relay: state.relay, paused: state.paused } : undefined;
      },
      spacesOf: (documentId) => spaces.spacesOf(documentId),
      currentKey: (spaceId) => {
        const epoch = spaces.view(spaceId).currentEpoch;
        const key = spaces.get(spaceId).epochKeys[epoch];
        return key ? { epoch, key: fromHex(key) } : undefined;
      },
      keyOf: (spaceId, epoch) => {
        const key = spaces.state(spaceId)?.epochKeys[epoch];
        return key ? fromHex(key) : undefined;
      },
      isMember: (spaceId, member) => spaces.view(spaceId).role(member) !== undefined,
      profileOf: (space, member) => {
        try {
          return spaces.index(space).members?.[member];
        } catch {
          return undefined; // an index not synced yet: the account id stands in for the name
        }
      },
      learnMembership: (spaceId) => void refresh(spaceId).catch(() => undefined),
    },
    options.presence,
  );
  const accountDeletion: AccountDeletion = new AccountDeletion({
    vault,
    account,
    client,
    view: (spaceId) => spaces.view(spaceId),
    space: (spaceId) => spaces.get(spaceId),
    putSpace: (spaceId, state) => spaces.put(spaceId, state),
    index: (spaceId) => spaces.index(spaceId),
    changeIndex: (spaceId, fn) => spaces.changeIndex(spaceId, fn),
    sealForMembers: (client, space, accounts, epoch, key, whenMissing) => membership.sealForMembers(client, space, accounts, epoch, key, whenMissing),
    refreshKeys: (spaceId, c) => membership.refreshKeys(spaceId, c),
    finalSync: (spaceId, c) => queues.run(spaceId, () => rounds.syncSpace(spaceId, c, false)).then(() => undefined),
    teamWorkspaces: () =>
      vault.syncState.spaceIds().flatMap((id) => {
        const state = spaces.state(id);
        return state ? [{ id, relay: state.relay, paused: state.paused }] : [];
      }),
    stopLive: async () => {
      const was: boolean = rounds.live;
      await rounds.stop();
      return was;
    },
    startLive: () => rounds.start(),
  });
  const profile = new ProfilePublisher({
    vault,
    account,
    spaces,
    client,
    push: (spaceId, c) => queues.run(spaceId, () => outbox.push(spaceId, c)),
    backoff: options.backoff,
  });
  const links: PublicLinks = new PublicLinks({
    vault,
    spacesOf: (documentId) =>
      spaces.spacesOf(documentId).map((space) => ({
        space,
        relay: spaces.get(space).relay,
        name: spaces.shareOf(space) ? `the shared document ${vault.documents.summary(documentId).title}` : vault.workspaces.get(space).name,
      })),
    currentRole: async (space) => {
      await refresh(space);
      return spaces.view(space).role(account);
    },
    client,
  });

  /**
   * A document was deleted (through the engine, the vault, or by a peer): its links this vault
   * created are marked pending revocation at once, sealed in the vault; while live they go to the
   * relay now, else on the next round (syncOnce or the live loop's reconnect).
   */
  const documentGone = (documentId: string) => {
    let marked = 0;
    try {
      marked = links.markDocumentDeleted(documentId);
    } catch {
      // Its workspace is going too (its records with it); a record left behind is found by the next round's sweep.
    }
    if (marked > 0 && rounds.live) void links.revokeDeleted();
  };

  // A peer's changes (origin 'remote', as the applier and the file download write them) are not sent
  // back. Another process's ('external') may have been queued by that process already: they are
  // captured by comparing heads, not by their bytes.
  const listeners = [
    spaces.forgotten.on((spaceId) => status.forget(spaceId)),
    connections.connected.on(({ url, client: c }) => {
      presence.attach(url, c);
      // A profile change made while this relay was out of reach goes first (its directory changes wait in the outbox).
      void profile.sendTo(url, c).catch(() => undefined);
      // The relay says a followed space's membership or keys changed: catch up now, through the same
      // serialised path as the app's poll (main/app/session.ts), which stays as the fallback.
      c.onMembershipChanged((space) => {
        if (spaces.state(space)) rounds.checkMembership(space).catch(() => undefined);
      });
    }),
    inbound.remote.on(({ workspaceId, kind }) => {
      if (kind === 'index') presence.profilesChanged(workspaceId);
    }),
    vault.documents.changed.on(({ documentId, changes, origin }) => {
      if (origin.kind !== 'remote') outbox.documentChanged(documentId, origin.kind === 'external' ? [] : changes);
    }),
    // A deletion too: the outbox sends it (as a signed tombstone) wherever the comment had gone.
    vault.comments.changed.on(({ documentId, origin }) => {
      if (origin.kind !== 'remote') outbox.commentChanged(documentId);
    }),
    vault.files.added.on(({ info, origin }) => {
      if (origin.kind !== 'remote') files.added(info.workspaceId);
    }),
    vault.documents.deleted.on(({ workspaceId, origin }) => {
      if (origin.kind !== 'remote') deletion.deletedHere(workspaceId);
    }),
    vault.documents.deleted.on(({ documentId }) => documentGone(documentId)),
    vault.files.deleted.on(({ workspaceId, origin }) => {
      if (origin.kind !== 'remote') deletion.deletedHere(workspaceId);
    }),
  ];
  return {
    account,
    spaces,
    status,
    connections,
    devices,
    deviceChanges,
    pairing,
    recovery,
    queues,
    permissions,
    membership,
    members,
    teams,
    deviceSync,
    outbox,
    inbound,
    generations,
    files,
    sharing,
    invitations,
    deletion,
    rounds,
    presence,
    accountDeletion,
    links,
    profile,
    reachable,
    detach: () => {
      for (const off of listeners.splice(0)) off();
    },
  };
}

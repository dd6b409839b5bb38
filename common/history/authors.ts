/**
 * Who made a change of a document, told by its Automerge actor id. Every replica Hearth opens for
 * an account edits under an actor that starts with that account's prefix and ends in random bytes
 * (actor ids must never repeat: two replicas writing under one would corrupt the document). So a
 * change's author is found by its prefix, without any name inside the document's history: the
 * prefix is a hash of the account id, which only people who know the account can match.
 */
import { hash, randomBytes, toHex, utf8 } from '../crypto/sodium.ts';

/** Hex characters of the prefix (8 bytes), followed by 8 random bytes. */
const PREFIX_CHARS = 16;

/** The actor prefix of an account (its base64url Ed25519 public key). */
export function actorPrefix(account: string): string {
  // BLAKE2b's shortest output is 16 bytes (sodium-native refuses less); the prefix is its first 8.
  return toHex(hash(utf8(`hearth-actor\n${account}`), 16)).slice(0, PREFIX_CHARS);
}

/** A fresh actor id for a replica edited by `account`. */
export function newActor(account: string): string {
  return actorPrefix(account) + toHex(randomBytes(8));
}

/** The prefix of an actor id made by newActor (an older, random actor gives one that matches nobody). */
export function prefixOf(actor: string): string {
  return actor.slice(0, PREFIX_CHARS);
}

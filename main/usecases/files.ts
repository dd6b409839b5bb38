/** Attachments: adding one needs a role that may edit; deleting one a role that may delete (in a team workspace, at the relay and every member too). */
import type { AddFileInput, FileInfo } from '../vault/files.ts';
import type { Unlocked } from './unlocked.ts';

/** Refuses, naming the role, when this vault may not attach files in the workspace; call before the bytes start arriving. */
export function checkCanAttach(u: Unlocked, workspaceId: string): void {
  u.engine.assertCan(workspaceId, 'content');
}

export async function addFile(u: Unlocked, workspaceId: string, input: AddFileInput): Promise<FileInfo> {
  checkCanAttach(u, workspaceId);
  return u.vault.files.add(workspaceId, input);
}

/** Deletes an attachment; with its relay out of reach, here now and at the relay on the next sync (`waitsForRelay`). */
export function deleteFile(u: Unlocked, fileId: string): Promise<{ waitsForRelay: boolean }> {
  return u.engine.deleteFile(fileId);
}

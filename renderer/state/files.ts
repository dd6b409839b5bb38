/** Files of the selected workspace, uploads in progress, and getting a copy back. */
import { create } from 'zustand';
import type { FileInfo } from '../../common/api/contract.ts';
import { call, hearth, messageOf } from './api.ts';

const CHUNK = 1024 * 1024;

export interface Upload {
  key: number;
  name: string;
  size: number;
  sent: number;
  problem: string | null;
}

interface FilesState {
  workspaceId: string | null;
  files: FileInfo[] | null;
  problem: string | null;
  uploads: Upload[];
  load(workspaceId: string): Promise<void>;
  upload(files: File[]): Promise<void>;
  dismissUpload(key: number): void;
  read(file: FileInfo, onProgress?: (received: number) => void): Promise<Blob>;
  remove(fileId: string): Promise<void>;
}

let nextUpload = 1;

export const useFiles = create<FilesState>()((set, get) => {
  const patchUpload = (key: number, patch: Partial<Upload>) => set({ uploads: get().uploads.map((u) => (u.key === key ? { ...u, ...patch } : u)) });

  const uploadOne = async (workspaceId: string, file: File) => {
    const key = nextUpload++;
    set({ uploads: [...get().uploads, { key, name: file.name, size: file.size, sent: 0, problem: null }] });
    try {
      const { uploadId } = await call(hearth().beginUpload(workspaceId, { name: file.name, type: file.type, size: file.size }));
      for (let offset = 0; offset < file.size; offset += CHUNK) {
        const chunk = new Uint8Array(await file.slice(offset, offset + CHUNK).arrayBuffer());
        const { received } = await call(hearth().uploadChunk(uploadId, chunk));
        patchUpload(key, { sent: received });
      }
      const info = await call(hearth().finishUpload(uploadId));
      set({ uploads: get().uploads.filter((u) => u.key !== key) });
      if (get().workspaceId === workspaceId) set({ files: [info, ...(get().files ?? []).filter((f) => f.id !== info.id)] });
    } catch (error) {
      patchUpload(key, { problem: `${messageOf(error)}` });
    }
  };

  return {
    workspaceId: null,
    files: null,
    problem: null,
    uploads: [],
    async load(workspaceId) {
      set({ workspaceId, files: null, problem: null });
      try {
        const files = await call(hearth().listFiles(workspaceId));
        if (get().workspaceId === workspaceId) set({ files: [...files].sort((a, b) => b.createdAt - a.createdAt) });
      } catch (error) {
        if (get().workspaceId === workspaceId) set({ problem: messageOf(error), files: [] });
      }
    },
    async upload(files) {
      const workspaceId = get().workspaceId;
      if (!workspaceId) return;
      for (const file of files) await uploadOne(workspaceId, file);
    },
    dismissUpload(key) {
      set({ uploads: get().uploads.filter((u) => u.key !== key) });
    },
    async read(file, onProgress) {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let offset = 0;
      for (;;) {
        const { bytes, done } = await call(hearth().readFile(file.id, offset));
        parts.push(new Uint8Array(bytes));
        offset += bytes.length;
        onProgress?.(offset);
        if (done || bytes.length === 0) break;
      }
      return new Blob(parts, { type: file.type || 'application/octet-stream' });
    },
    async remove(fileId) {
      await call(hearth().deleteFile(fileId));
      set({ files: (get().files ?? []).filter((f) => f.id !== fileId) });
    },
  };
});

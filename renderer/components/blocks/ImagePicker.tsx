/**
 * Chooses the attached file an image block shows: the images among the workspace's files (sealed
 * and synced like every file), or a note that says how to attach one first.
 */
import { useEffect, useState } from 'react';
import type { FileInfo } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { Modal } from '../Modal.tsx';

interface ImagePickerProps {
  workspaceId: string;
  onPick: (file: FileInfo) => void;
  onClose: () => void;
}

const isImage = (file: FileInfo): boolean =>
  /^image\/(png|jpe?g|gif|webp|avif|bmp|svg\+xml)$/i.test(file.type) || /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i.test(file.name);

export function ImagePicker({ workspaceId, onPick, onClose }: ImagePickerProps) {
  const [files, setFiles] = useState<FileInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    call(hearth().listFiles(workspaceId)).then(
      (all) => live && setFiles(all.filter(isImage).sort((a, b) => b.createdAt - a.createdAt)),
      (error: unknown) => live && setProblem(messageOf(error)),
    );
    return () => {
      live = false;
    };
  }, [workspaceId]);

  return (
    <Modal title="Insert an image" description="Images come from this workspace’s attached files." onClose={onClose}>
      {problem ? <p role="alert">{problem}</p> : null}
      {files === null && !problem ? <p>Loading files…</p> : null}
      {files !== null && files.length === 0 ? <p>No images are attached yet. Attach one in the Files panel, then insert it here.</p> : null}
      {files !== null && files.length > 0 ? (
        <ul className="image-picker" aria-label="Attached images">
          {files.map((file, index) => (
            <li key={file.id}>
              <button type="button" className="image-choice" data-autofocus={index === 0 ? true : undefined} onClick={() => onPick(file)}>
                {file.name}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </Modal>
  );
}

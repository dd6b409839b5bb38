/** A person's avatar, or their initials when they have none. */
import type { ChangeEvent } from 'react';
import { useState } from 'react';
import { FormError } from './Field.tsx';

export function Avatar({ name, src, size = 32 }: { name: string; src?: string | null | undefined; size?: 20 | 32 | 48 | 64 }) {
  const className = `avatar avatar-${size}`;
  if (src) return <img className={className} src={src} alt="" />;
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('');
  return (
    <span className={className} aria-hidden>
      {initials || '?'}
    </span>
  );
}

/** Shrinks a picked image to a small square data URL, well under main's avatar limit. */
async function avatarFromFile(file: File): Promise<string> {
  if (!file.type.startsWith('image/')) throw new Error('Choose an image file (PNG, JPEG, WebP or GIF).');
  const bitmap = await createImageBitmap(file);
  const side = 128;
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot resize images; try another image.');
  const crop = Math.min(bitmap.width, bitmap.height);
  context.drawImage(bitmap, (bitmap.width - crop) / 2, (bitmap.height - crop) / 2, crop, crop, 0, 0, side, side);
  bitmap.close();
  return canvas.toDataURL('image/jpeg', 0.85);
}

interface AvatarPickerProps {
  name: string;
  value: string | null;
  onChange: (avatar: string | null) => void;
}

export function AvatarPicker({ name, value, onChange }: AvatarPickerProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      setProblem(null);
      onChange(await avatarFromFile(file));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : 'That image could not be read; try another one.');
    }
  };
  return (
    <div className="avatar-picker">
      <Avatar name={name} src={value} size={48} />
      <label className="button">
        {value ? 'Change avatar' : 'Choose avatar (optional)'}
        <input type="file" accept="image/png,image/jpeg,image/webp,image/gif" className="visually-hidden" onChange={(e) => void pick(e)} />
      </label>
      {value ? (
        <button type="button" className="button button-quiet" onClick={() => onChange(null)}>
          Remove
        </button>
      ) : null}
      <FormError problem={problem} />
    </div>
  );
}

/**
 * Writes .zip files by hand, the way an attacker would: sizes in the central directory that lie,
 * modes that say symbolic link, and deflate streams that expand a thousandfold (a zip bomb) built
 * without ever holding the expanded bytes: one compressed block of 1 MiB, ended with a full flush
 * (byte-aligned, no back-references across it), repeated, then a final empty block.
 */
import { writeFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface CraftedEntry {
  name: string;
  /** The stored bytes (deflated when `deflated` is true). */
  data: Buffer;
  deflated?: boolean;
  /** What the entry expands to, and its CRC-32; the truth unless `declaredSize` lies. */
  size: number;
  crc: number;
  /** The uncompressed size written in the headers, when it should differ from `size`. */
  declaredSize?: number;
  /** Unix mode; a regular file by default. */
  mode?: number;
}

/** A plain entry, deflated. */
export function entryOf(name: string, content: string | Buffer, mode?: number): CraftedEntry {
  const bytes = Buffer.from(content);
  return { name, data: deflateRawSync(bytes), deflated: true, size: bytes.length, crc: crc32(bytes), ...(mode === undefined ? {} : { mode }) };
}

/** An entry of `mib` MiB of `byte`, deflated to about a thousandth of that. */
export function bombEntry(name: string, mib: number, byte = 0x20): CraftedEntry {
  const plain = Buffer.alloc(1024 * 1024, byte);
  const block = deflateRawSync(plain, { finishFlush: constants.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(plain, crc);
  // BFINAL=1, fixed Huffman, end of block: the stream's last, empty block.
  const data = Buffer.concat([...Array.from({ length: mib }, () => block), Buffer.from([0x03, 0x00])]);
  return { name, data, deflated: true, size: mib * 1024 * 1024, crc };
}

export function writeZip(file: string, entries: CraftedEntry[]): void {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const declared = entry.declaredSize ?? entry.size;
    const method = entry.deflated ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(entry.crc >>> 0, 16);
    header.writeUInt32LE(entry.data.length, 20);
    header.writeUInt32LE(declared, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, entry.data);
    central.push(header, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...parts, directory, end]));
}

/** A file of the vault read front to back in READ_CHUNK_BYTES pieces, for the page's readFile calls. */

/** How much of a file one readFile call returns: the vault's own chunk size. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** Reads the file position by position, so reading a file front to back decrypts each chunk once. */
export class FileReadCursor {
  private buffer: Uint8Array = new Uint8Array(0);
  /** File offset of buffer[0]. */
  private position = 0;
  private exhausted = false;

  constructor(
    private readonly chunks: AsyncGenerator<Uint8Array>,
    readonly size: number,
  ) {}

  canServe(offset: number): boolean {
    return offset >= this.position;
  }

  async read(offset: number): Promise<{ bytes: Uint8Array; done: boolean }> {
    while (!this.exhausted && this.position + this.buffer.length <= offset) {
      this.position += this.buffer.length;
      const next = await this.chunks.next();
      if (next.done) this.exhausted = true;
      this.buffer = next.done ? new Uint8Array(0) : next.value;
    }
    const start = offset - this.position;
    const view: Uint8Array = this.exhausted ? new Uint8Array(0) : this.buffer.subarray(start, start + READ_CHUNK_BYTES);
    const done = offset + view.length >= this.size;
    // Draining runs the vault's whole-file hash check before the page is told it has it all.
    if (done) while (!this.exhausted) this.exhausted = (await this.chunks.next()).done === true;
    // A copy when partial: structured clone (Electron IPC) would otherwise send the whole chunk.
    return { bytes: view.length === this.buffer.length ? view : view.slice(), done };
  }

  close(): void {
    void this.chunks.return(undefined);
  }
}

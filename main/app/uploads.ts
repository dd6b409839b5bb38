/**
 * A file arriving in chunks over the API (beginUpload, uploadChunk…, finishUpload), fed to the
 * vault's streaming `files.add` as it comes, so a large file is never held whole in memory.
 */
import { HearthError } from '../../common/errors.ts';
import type { FileInfo } from '../vault/files.ts';

type Waiter = { resolve: (result: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void };

/** An async iterable the vault pulls from while the page pushes chunks into it. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private waiter: Waiter | undefined;
  private ended = false;
  private failure: unknown;
  /** Resolves when the vault has taken every chunk pushed so far: the page's backpressure. */
  private drained: Array<() => void> = [];

  push(chunk: Uint8Array): Promise<void> {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return Promise.resolve();
    }
    this.chunks.push(chunk);
    return new Promise((resolve) => this.drained.push(resolve));
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: unknown): void {
    this.failure = error;
    this.chunks.length = 0;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.drained.splice(0)) resolve();
    const waiter = this.waiter;
    this.waiter = undefined;
    if (!waiter) return;
    if (this.failure !== undefined) waiter.reject(this.failure);
    else if (this.ended && this.chunks.length === 0) waiter.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        if (this.failure !== undefined) return Promise.reject(this.failure);
        const chunk = this.chunks.shift();
        if (chunk) {
          if (this.chunks.length === 0) for (const resolve of this.drained.splice(0)) resolve();
          return Promise.resolve({ value: chunk, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
      },
    };
  }
}

export interface UploadTarget {
  /** Starts the vault's streaming add; it resolves when the last chunk is sealed. */
  add(source: AsyncIterable<Uint8Array>): Promise<FileInfo>;
}

export class Upload {
  private readonly queue = new ChunkQueue();
  private readonly stored: Promise<FileInfo>;
  private received = 0;
  private settled = false;

  constructor(
    readonly id: string,
    /** Which connection began it: no other page may feed or finish it. */
    readonly ownerId: number,
    readonly expectedSize: number,
    target: UploadTarget,
  ) {
    this.stored = target.add(this.queue);
    // An abandoned upload's rejection is reported through finish(), or nowhere if nobody asks.
    this.stored.catch(() => undefined);
  }

  get bytesReceived(): number {
    return this.received;
  }

  async chunk(bytes: Uint8Array): Promise<number> {
    if (this.settled) throw new HearthError('CONFLICT', 'This upload has already finished or been cancelled. Start the upload again.');
    if (this.received + bytes.length > this.expectedSize) {
      this.abort(new HearthError('BAD_REQUEST', `The file is larger than the ${this.expectedSize} bytes announced at beginUpload; the upload was cancelled.`));
      throw new HearthError(
        'BAD_REQUEST',
        `The file is larger than the ${this.expectedSize} bytes announced at beginUpload; the upload was cancelled. Start it again with the right size.`,
      );
    }
    this.received += bytes.length;
    // Copied: a transport may reuse or release the buffer it handed us once this call returns.
    await Promise.race([this.queue.push(bytes.slice()), this.stored.then(() => undefined)]);
    return this.received;
  }

  async finish(): Promise<FileInfo> {
    if (this.settled) throw new HearthError('CONFLICT', 'This upload has already finished or been cancelled. Start the upload again.');
    if (this.received !== this.expectedSize) {
      const message = `Only ${this.received} of the ${this.expectedSize} announced bytes arrived; the upload was cancelled. Start it again.`;
      this.abort(new HearthError('BAD_REQUEST', message));
      throw new HearthError('BAD_REQUEST', message);
    }
    this.settled = true;
    this.queue.end();
    return this.stored;
  }

  /** Resolves once the vault is done with this upload, whether it was stored or cancelled. */
  whenSettled(): Promise<void> {
    return this.stored.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Cancels the upload; the vault deletes what it had stored of it. */
  abort(reason: unknown = new HearthError('CONFLICT', 'The upload was cancelled.')): void {
    if (this.settled) return;
    this.settled = true;
    this.queue.fail(reason);
  }
}

/** A verification thread: checks signatures for the main thread (verify-pool.ts), in batches. */
import { parentPort } from 'node:worker_threads';
import type { AuthPurpose } from '../../common/protocol/auth.ts';
import { verifyAuthSignature, verifyChangeSignature } from '../signatures.ts';
import { serveCalls } from './thread-calls.ts';

serveCalls(parentPort!, (method, args) => {
  if (method === 'change') return verifyChangeSignature(args[0] as Uint8Array);
  if (method === 'auth') return verifyAuthSignature(...(args as [AuthPurpose, string, string, string, string, string | undefined]));
  if (method === 'ping') return true;
  throw new Error(`unknown call ${method}`);
});

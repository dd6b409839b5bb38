// The first module of every relay worker thread. The relay is TypeScript run through tsx, and a
// worker does not inherit the loader hooks of the thread that made it, so this plain-JavaScript
// entry registers tsx (when the module it starts is TypeScript) and then imports that module.
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);

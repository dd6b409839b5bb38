// Preloaded into a child process (node --import): on exit, writes the process's peak resident
// memory in bytes to the file named by HEARTH_TEST_MAX_RSS_FILE, for tests that bound memory.
import { writeFileSync } from 'node:fs';

const file = process.env.HEARTH_TEST_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));

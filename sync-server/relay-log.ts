/**
 * The relay's log: one JSON object per line, naming ids of spaces, documents and links, frame
 * types, sizes and error codes. It never receives a payload, so nothing a user wrote can reach it
 * (promise S1), and it never names an account (S9): a line about a caller carries at most a
 * pseudonym keyed with a random key that exists only in memory and only for one UTC day, so lines
 * of one day can be told apart by caller, and nothing links them to an account id or to another day.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogSink = (line: string) => void;

const DAY_MS = 24 * 3600 * 1000;
/** How long the relay keeps its log files by default (`--log-days`). */
export const DEFAULT_LOG_DAYS = 30;
/** What the log holds, in the words of the right-of-access answer. */
export const LOG_CONTENTS =
  'Times, request types, error codes, sizes, and ids of spaces, documents and links. Never your account id, username or anything you wrote: ' +
  'a sign-in line carries a pseudonym made with a key that is kept in memory for one day and then forgotten, so it cannot be traced back to you.';

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

export class RelayLog {
  private day = '';
  private dayKey: Buffer | undefined;

  constructor(
    private readonly sink: LogSink,
    private readonly now: () => number = Date.now,
  ) {}

  write(level: 'info' | 'warn' | 'error', event: string, fields: LogFields = {}): void {
    this.sink(JSON.stringify({ at: new Date(this.now()).toISOString(), level, event, ...fields }));
  }

  /** The account's pseudonym for today: the same all day, unrelated to yesterday's once that key is gone. */
  pseudonym(account: string): string {
    const day = utcDay(this.now());
    if (day !== this.day || !this.dayKey) {
      this.day = day;
      this.dayKey = randomBytes(32);
    }
    return createHmac('sha256', this.dayKey).update(account).digest('base64url').slice(0, 16);
  }
}

/**
 * Log lines into one file per UTC day (`relay-YYYY-MM-DD.log` in `dir`); files older than `days`
 * days are deleted when a day begins and at start, so no line outlives the retention.
 */
export function rotatingLogFiles(dir: string, days: number, now: () => number = Date.now): LogSink {
  mkdirSync(dir, { recursive: true });
  let current = '';
  const prune = (today: number) => {
    const oldest = utcDay(today - (days - 1) * DAY_MS);
    for (const name of readdirSync(dir)) {
      const day = /^relay-(\d{4}-\d{2}-\d{2})\.log$/.exec(name)?.[1];
      if (day && day < oldest) rmSync(join(dir, name), { force: true });
    }
  };
  return (line) => {
    const at = now();
    const day = utcDay(at);
    if (day !== current) {
      current = day;
      prune(at);
    }
    appendFileSync(join(dir, `relay-${day}.log`), line + '\n');
  };
}

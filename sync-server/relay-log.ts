/**
 * The relay's log: one JSON object per line, naming ids, frame types, sizes and error codes.
 * It never receives a payload, so nothing a user wrote can reach it (promise S1).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogSink = (line: string) => void;

export class RelayLog {
  constructor(private readonly sink: LogSink) {}

  write(level: 'info' | 'warn' | 'error', event: string, fields: LogFields = {}): void {
    this.sink(JSON.stringify({ at: new Date().toISOString(), level, event, ...fields }));
  }
}

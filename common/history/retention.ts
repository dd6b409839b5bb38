/**
 * How long a workspace keeps edit history: "Keep edit history: forever / 1 year / 90 days / 30
 * days / 7 days / none". Past the horizon, a document's history is forgotten (a new generation
 * holding the state at the horizon and the versions after it, common/history/generation.ts).
 */
import { HearthError } from '../errors.ts';

export const RETENTIONS = ['forever', '1y', '90d', '30d', '7d', 'none'] as const;
export type Retention = (typeof RETENTIONS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;
const DAYS: Record<Exclude<Retention, 'forever'>, number> = { '1y': 365, '90d': 90, '30d': 30, '7d': 7, none: 0 };

export const RETENTION_LABELS: Record<Retention, string> = {
  forever: 'forever',
  '1y': '1 year',
  '90d': '90 days',
  '30d': '30 days',
  '7d': '7 days',
  none: 'none',
};

/** A retention as a person writes it ("90d", "90 days", "1 year", "forever", "none"). */
export function parseRetention(text: string): Retention {
  const wanted = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const found = RETENTIONS.find((r) => r === wanted || RETENTION_LABELS[r] === wanted || RETENTION_LABELS[r] === `${wanted}s`);
  if (found) return found;
  throw new HearthError(
    'BAD_REQUEST',
    `Keep edit history for ${RETENTIONS.map((r) => RETENTION_LABELS[r]).join(', ')} (or ${RETENTIONS.join(', ')}); "${text}" is none of them.`,
  );
}

/** Edits made before this time (ms) are forgotten; undefined while history is kept forever. */
export function horizonOf(retention: Retention, now = Date.now()): number | undefined {
  return retention === 'forever' ? undefined : now - DAYS[retention] * DAY_MS;
}

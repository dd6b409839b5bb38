/**
 * The username rule, the one copy: what a vault accepts for its profile, what the relay accepts
 * on registration and lookup, what the API's door and the first-run form check.
 */
import { z } from 'zod';

const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,31}$/;

/** The rule in words, for a message that tells the person what to type instead. */
export const USERNAME_RULE = 'A username is 2–32 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.';

export function isUsername(value: string): boolean {
  return USERNAME_PATTERN.test(value);
}

export const UsernameSchema = z.string().regex(USERNAME_PATTERN, USERNAME_RULE);

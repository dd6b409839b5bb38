/** How counts read in sentences: "1 comment", "3 comments", "no comments" — never "comment(s)". */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  if (n === 0) return `no ${plural}`;
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The same text with a capital first letter, to start a sentence with a count. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

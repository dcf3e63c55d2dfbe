// Tag names as the person types them, checked with the app's own rule (1 to 64 characters, no
// control characters or slashes), so a bad name is refused before any call.

export const TAG_MAX = 64;

/** The tag to send: trimmed, inner runs of whitespace as one space. */
export function normalizeTag(input: string): string {
  return input.trim().replace(/\s+/g, ' ');
}

/** Why a (normalized) tag would be refused, or null when it is fine. */
export function tagProblem(tag: string): string | null {
  if (tag.length === 0) return 'Tag: expected a name, got nothing';
  if (tag.length > TAG_MAX) return `Tag: expected at most ${TAG_MAX} characters, got ${tag.length}`;
  if (/[\u0000-\u001f/\\]/.test(tag)) return `Tag: expected no slashes or control characters, got "${tag}"`;
  return null;
}

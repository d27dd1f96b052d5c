// Length limits on text DISPATCH writes (GEN-8, YT-8, YT-11, NOTIFY-11). Lengths are counted in
// UTF-16 code units (JavaScript and Tracker's Java strings agree on them); a cut never splits a
// surrogate pair, so an emoji is either kept whole or dropped.

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The longest prefix of `text` with at most `max` code units that does not end inside a surrogate pair. */
export function cutToLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/** Cut to `max` units and append `marker` when something was removed (the marker is not counted). */
export function cutWithMarker(text: string, max: number, marker: string): string {
  return text.length <= max ? text : cutToLength(text, max) + marker;
}

/** GEN-8: status-history comments are stored with at most 512 characters. */
export const HISTORY_COMMENT_MAX_LENGTH = 512;

export function truncateHistoryComment(comment: string): string {
  return cutToLength(comment, HISTORY_COMMENT_MAX_LENGTH);
}

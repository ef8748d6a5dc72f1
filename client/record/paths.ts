/**
 * @module client/record/paths
 * The addresses of the printed record (client/record/Record.tsx), with no dependency, so the
 * router (client/main.tsx) and the console's links use them without loading the record itself.
 */

/** Which sheet a path asks for: a ballot's sheet (`ballotId`) or the minutes (null); null when none. */
export function recordRoute(pathname: string): { meetingId: string; ballotId: string | null } | null {
  const m = /^\/secretary\/m\/([A-Za-z0-9_-]{1,64})\/(?:record\/([A-Za-z0-9_-]{1,64})|minutes)\/?$/.exec(pathname);
  return m ? { meetingId: m[1]!, ballotId: m[2] ?? null } : null;
}

/** A ballot's result sheet. */
export const recordPath = (meetingId: string, ballotId: string): string => `/secretary/m/${meetingId}/record/${ballotId}`;
/** The meeting's minutes, with the CSV export. */
export const minutesPath = (meetingId: string): string => `/secretary/m/${meetingId}/minutes`;

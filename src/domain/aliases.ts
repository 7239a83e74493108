/**
 * Key aliases OpenHands gives the keys it manages (pure functions: imported by workflow code too).
 *
 * The two formats differ on purpose (as in the seed): the cloud alias separates with ` - `, the BYOR alias
 * with `, `. Changing either would orphan every existing key, so they are frozen here.
 */

/** Alias of the OpenHands Cloud managed key of `userId` in org `orgId`. */
export function openHandsCloudKeyAlias(userId: string, orgId: string): string {
  return `OpenHands Cloud - user ${userId} - org ${orgId}`;
}

/** Alias of the BYOR ("bring your own runtime") key of `userId` in org `orgId`. */
export function byorKeyAlias(userId: string, orgId: string): string {
  return `BYOR Key - user ${userId}, org ${orgId}`;
}

/**
 * The single table: key attribute names, index names and the table definition. The CDK stack and the local
 * stack both build the table from this module, so the data layer, AWS and DynamoDB Local always agree.
 *
 * Items (PK / SK):
 *   USER#<id>          / PROFILE              a user
 *   USERNAME#<canon>   / USERNAME             uniqueness guard for a username (NFKC + case folding)
 *   USER#<id>          / CONTACT#<contactId>  a contact, with the contact's username and nickname copied in
 *   USER#<id>          / BLOCK#<blockedId>    the user blocks blockedId
 *   USER#<id>          / BLOCKEDBY#<blocker>  the mirror of a block, so a sender finds who blocks them in one Query
 *   USER#<id>          / CONV#<convId>        a membership (the user's side; the membership check): read marker as a seq,
 *                                            the seqs never unread to them, recent client message ids
 *   USER#<id>          / CONNECTIONS          map connectionId → expiresAt of the user's live WebSocket connections
 *                                            (one item per user: a fan-out reads them with one BatchGet per 100 members)
 *   CONV#<id>          / META                 a conversation: type, member count, last seq, last message (small: no member list)
 *   CONV#<id>          / MEMBER#<userId>      the roster: who is in it (one Query lists a group's members)
 *   CONV#<id>          / MSG#<seq>            a message, by its seq (zero-padded so it sorts)
 *   PAIR#<low>#<high>  / PAIR                 the single conversation between two users, never duplicated
 *   CONN#<connId>      / CONN                 a WebSocket connection (expires a little after API Gateway's 2 h)
 *   LIMIT#<policy>#<subject> / W#<windowStart>  a fixed-window rate-limit counter `hits` (expires), rate-limits.ts
 *   LOGINSRC#<canon>   / IP#<sourceIp>        an address the account signed in from (expires), login-sources.ts
 */
export const KEY = { partition: 'PK', sort: 'SK' } as const;
export const TTL_ATTRIBUTE = 'expiresAt';

/** Secondary indexes the data layer queries (none yet: every access pattern is served by the primary key). */
export const INDEXES: ReadonlyArray<{ name: string; partitionKey: string; sortKey: string }> = [];

export type Key = { PK: string; SK: string };

/** Ids sort as strings only with a fixed width; 16 digits hold every id below 2^53. */
export function padId(id: number): string {
  return id.toString().padStart(16, '0');
}

/** The table's shape, read by the CDK stack (infra/cdk) and the local stack (infra/local) alike. */
export const TABLE_SCHEMA = {
  partitionKey: { name: KEY.partition, type: 'S' },
  sortKey: { name: KEY.sort, type: 'S' },
  timeToLiveAttribute: TTL_ATTRIBUTE,
  indexes: INDEXES,
} as const;

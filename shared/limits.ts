/**
 * The product's published limits (README, "Limits"): the request schemas (shared/schemas.ts) check them, the
 * adapter and the domain read them. A module of its own, so a function that reads a limit does not load zod.
 */
export const LIMITS = {
  usernameMax: 32,
  nicknameMax: 64,
  emailMax: 254,
  passwordMinBytes: 8,
  passwordMaxBytes: 72, // bcrypt ignores everything past 72 bytes: refuse instead of silently truncating
  textMax: 4000,
  groupMembersMax: 2000,
  groupNameMax: 64,
  groupAnnouncementMax: 2000,
  /** Admins per group: their ids live on the conversation item every send writes, so it stays small. */
  groupAdminsMax: 50,
  /** Users one members/add or members/remove takes (a group grows past it in several calls). */
  groupChangeIdsMax: 500,
  getlistPageDefault: 100,
  getlistPageMax: 100,
  /** Members one message may @-mention (each costs one write to their membership item). */
  mentionsMax: 50,
  /**
   * Ids one conversation/create takes in its query string. API Gateway HTTP APIs cap the request line and header
   * values together at 10,240 bytes (not adjustable): 256 ids of up to 16 digits, comma-separated, are 4.3 KB,
   * which leaves about 5.5 KB for the path and headers (token included). A bigger group grows by members/add.
   */
  conversationCreateIdsMax: 256,
  clientMessageIdMax: 64,
  historyPageDefault: 50,
  historyPageMax: 100,
  jsonBodyMaxBytes: 64 * 1024,
  /** The seed's multipart upload goes through a Lambda (6 MB payload cap): smaller than presigned uploads. */
  legacyImageMaxBytes: 5 * 1024 * 1024,
} as const;

// The tab's state, shared by every screen. One user per tab: the token lives in sessionStorage.

export const state = {
  config: { apiUrl: '', wsUrl: null },
  token: sessionStorage.getItem('token'),
  me: null, // the caller's own profile, with `settings`
  contacts: [],
  selected: new Set(), // contact ids ticked for a new conversation
  blocked: new Set(),
  names: new Map(), // user id → nickname

  conversations: [], // the loaded pages of getlist, most recently active first
  listCursor: null, // getlist's next_cursor after the loaded pages; null: all loaded

  current: null, // the open conversation's id
  open: null, // the open conversation's object (kept even when it is not among the loaded pages)
  members: [], // the open group's other members, with role and joined_at (GET /conversation/members)
  gone: null, // why the open group is no longer ours (removed, left, disbanded), or null
  messages: new Map(), // the open conversation's messages by id (pending ones by 'pending:<clientMessageId>')
  olderCursor: null,
  readUpTo: new Map(), // other member id → the seq they read up to, in the open conversation
  seqs: new Set(), // the open conversation's seqs this tab holds
  throughSeq: null, // every seq up to this one is held, or known to be absent; null until the newest page is in
  gapTimer: null,
  menuFor: null, // the message whose menu (recall, delete) is open
  localImages: new Map(), // object key → local preview URL of images this tab sent
  pendingImage: null,

  ws: null,
  ackWaiters: new Map(), // clientMessageId → resolve, for messages sent over the WebSocket
  wsBackoffMs: 1000,
  wsRetryAfterMs: undefined,
};

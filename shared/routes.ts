import type * as z from 'zod/mini';
import * as schemas from './schemas.ts';

/**
 * The route table: the single source of truth for what the backend serves. The CDK stack (one Lambda and one API
 * route per row, IAM from `access`), the local gateway, the OpenAPI document and the tests all read it.
 * Adding an endpoint means one row here (a const, listed in HTTP or WS) and one handler file in functions/.
 */
export type Access = {
  /**
   * DynamoDB: 'read' (Get/Query/BatchGet) or 'readwrite' (also Put/Update/Delete/BatchWrite, for transactions too);
   * absent: none. A route that only reads the table may still have side effects elsewhere (the bucket, pushes): see
   * writesNothing.
   */
  table?: 'read' | 'readwrite';
  /** The image bucket. */
  bucket?: 'read' | 'readwrite';
  /** PostToConnection / GetConnection / DeleteConnection on the WebSocket API. */
  connections?: boolean;
  /** Queue rows (by name) this function may send to: sqs:SendMessage on those queues only. */
  enqueue?: readonly string[];
};

/**
 * Whether a route changes nothing anywhere: not the table (rate-limit counters included), not the bucket, and it
 * pushes to no connection. Only such a route may run alongside the token-version check, with its result dropped when
 * the check fails; every other route waits for the check, so a revoked token leaves no trace.
 */
export const writesNothing = (access: Access): boolean => access.table === 'read' && access.bucket !== 'readwrite' && !access.connections;

export type HttpRoute = {
  kind: 'http';
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Handler entry, relative to the repository root; it exports `handler`. */
  entry: string;
  access: Access;
  auth: boolean;
  summary: string;
  request?: { body?: z.ZodMiniType; query?: z.ZodMiniType; params?: z.ZodMiniType; multipart?: boolean };
};

export type WsRoute = {
  kind: 'ws';
  name: string;
  /** API Gateway route key: $connect, $disconnect, $default, or an `action` value. */
  routeKey: string;
  entry: string;
  access: Access;
  summary: string;
  request?: { body?: z.ZodMiniType };
  /**
   * Only on $connect: the Lambda REQUEST authorizer that checks `?token=`. API Gateway hands its context (the
   * user id) to every later event of the connection, so no route has to look the caller up in the table.
   */
  authorizer?: { name: string; entry: string; identitySource: string; access: Access };
};

/**
 * The HTTP API's `$default` route: every request no row matches. API Gateway would answer those with its bare
 * `{"message":"Not Found"}`; this row's function answers the envelope instead (404, or 405 for a row's path with
 * another method).
 */
export type HttpDefaultRoute = { kind: 'httpDefault'; name: string; routeKey: '$default'; entry: string; access: Access; summary: string };


/**
 * A function fed by an SQS queue (on AWS a Lambda event source; locally infra/local/sqs-local.ts). The row's
 * numbers are the queue's and the event source's settings, read alike by the CDK stack and the local stack.
 */
export type QueueRoute = {
  kind: 'queue';
  name: string;
  entry: string;
  access: Access;
  summary: string;
  /** The environment variable that hands senders the queue's URL. */
  queueUrlEnv: string;
  /** Records per invocation (the event source's batchSize). */
  batchSize: number;
  /** Invocations at once: the event source's maxConcurrency and the function's reserved concurrency. */
  maxConcurrency: number;
  /** A record not deleted (handled) within this long is delivered again. */
  visibilityTimeoutSeconds: number;
  /** Deliveries of a record before it moves to the dead-letter queue. */
  maxReceiveCount: number;
};

export type Route = HttpRoute | HttpDefaultRoute | WsRoute | QueueRoute;

/** Senders whose large audiences go to the fan-out queue (shared/domain/fan-out.ts). */
const fanOutSender = ['fanOut'] as const;

/** A row keeps its exact schema types, so a handler that reads its own row gets typed input. */
const http = <R extends Omit<HttpRoute, 'kind' | 'auth'> & { auth?: boolean }>(row: R) => ({ kind: 'http' as const, auth: true, ...row });

/** A group change: the table, the avatar image (checked, and linked in the answer), and pushes to the members. */
const groupChange = { table: 'readwrite', bucket: 'read', connections: true } as const;

/*
 * One exported const per row, each made by a call marked pure: a handler imports its own row (`userLogin`, not
 * `HTTP.userLogin`), so its bundle holds that row and that row's schemas only; `HTTP`, `WS` and `routes` are
 * built from the same consts for everything that reads the whole table.
 */
export const userRegister = /* @__PURE__ */ http({ name: 'userRegister', method: 'POST', path: '/user/register', entry: 'functions/user-register.ts', auth: false, access: { table: 'readwrite' }, summary: '用户注册', request: { body: schemas.registerBody } });
export const userLogin = /* @__PURE__ */ http({ name: 'userLogin', method: 'POST', path: '/user/login', entry: 'functions/user-login.ts', auth: false, access: { table: 'readwrite' }, summary: '用户登录', request: { body: schemas.loginBody } });
export const userLogout = /* @__PURE__ */ http({ name: 'userLogout', method: 'POST', path: '/user/logout', entry: 'functions/user-logout.ts', access: { table: 'readwrite', connections: true }, summary: '退出登录（所有设备）' });
export const userPassword = /* @__PURE__ */ http({ name: 'userPassword', method: 'POST', path: '/user/password', entry: 'functions/user-password.ts', access: { table: 'readwrite', connections: true }, summary: '修改密码（旧令牌全部失效）', request: { body: schemas.changePasswordBody } });
export const userProfile = /* @__PURE__ */ http({ name: 'userProfile', method: 'GET', path: '/user/profile', entry: 'functions/user-profile.ts', access: { table: 'read' }, summary: '根据token查用户信息' });
export const userProfileById = /* @__PURE__ */ http({ name: 'userProfileById', method: 'GET', path: '/user/profile/{id}', entry: 'functions/user-profile-by-id.ts', access: { table: 'read' }, summary: '用id查询用户信息', request: { params: /* @__PURE__ */ schemas.idParam('id') } });
export const contactsAdd = /* @__PURE__ */ http({ name: 'contactsAdd', method: 'POST', path: '/contacts/add', entry: 'functions/contacts-add.ts', access: { table: 'readwrite' }, summary: '添加联系人', request: { body: schemas.contactBody } });
export const contactsRemove = /* @__PURE__ */ http({ name: 'contactsRemove', method: 'DELETE', path: '/contacts/remove/{contactId}', entry: 'functions/contacts-remove.ts', access: { table: 'readwrite' }, summary: '删除联系人', request: { params: /* @__PURE__ */ schemas.idParam('contactId') } });
export const contactsList = /* @__PURE__ */ http({ name: 'contactsList', method: 'GET', path: '/contacts/list', entry: 'functions/contacts-list.ts', access: { table: 'read' }, summary: '查询联系人列表' });
export const userBan = /* @__PURE__ */ http({ name: 'userBan', method: 'POST', path: '/user/ban/{bannerId}', entry: 'functions/user-ban.ts', access: { table: 'readwrite' }, summary: '屏蔽用户', request: { params: /* @__PURE__ */ schemas.idParam('bannerId') } });
export const userUnban = /* @__PURE__ */ http({ name: 'userUnban', method: 'DELETE', path: '/user/unban/{bannerId}', entry: 'functions/user-unban.ts', access: { table: 'readwrite' }, summary: '移除屏蔽', request: { params: /* @__PURE__ */ schemas.idParam('bannerId') } });
export const conversationCreate = /* @__PURE__ */ http({ name: 'conversationCreate', method: 'POST', path: '/conversation/create', entry: 'functions/conversation-create.ts', access: { table: 'readwrite' }, summary: '创建会话', request: { query: schemas.createConversationQuery } });
export const conversationGetlist = /* @__PURE__ */ http({ name: 'conversationGetlist', method: 'GET', path: '/conversation/getlist', entry: 'functions/conversation-getlist.ts', access: { table: 'read', bucket: 'read' }, summary: '获取会话列表', request: { query: schemas.getlistQuery } });
export const conversationMembers = /* @__PURE__ */ http({ name: 'conversationMembers', method: 'GET', path: '/conversation/members', entry: 'functions/conversation-members.ts', access: { table: 'read' }, summary: '获取会话成员(不包含用户本身）', request: { query: schemas.conversationQuery } });
export const conversationMembersAdd = /* @__PURE__ */ http({ name: 'conversationMembersAdd', method: 'POST', path: '/conversation/members/add', entry: 'functions/conversation-members-add.ts', access: groupChange, summary: '添加群成员', request: { body: schemas.groupMembersBody } });
export const conversationMembersRemove = /* @__PURE__ */ http({ name: 'conversationMembersRemove', method: 'POST', path: '/conversation/members/remove', entry: 'functions/conversation-members-remove.ts', access: groupChange, summary: '移除群成员（群主、管理员）', request: { body: schemas.groupMembersBody } });
export const conversationLeave = /* @__PURE__ */ http({ name: 'conversationLeave', method: 'POST', path: '/conversation/leave', entry: 'functions/conversation-leave.ts', access: groupChange, summary: '退出群聊', request: { body: schemas.conversationBody } });
export const conversationUpdate = /* @__PURE__ */ http({ name: 'conversationUpdate', method: 'POST', path: '/conversation/update', entry: 'functions/conversation-update.ts', access: groupChange, summary: '修改群资料（群名、公告、头像、邀请权限）', request: { body: schemas.groupUpdateBody } });
export const conversationAdmins = /* @__PURE__ */ http({ name: 'conversationAdmins', method: 'POST', path: '/conversation/admins', entry: 'functions/conversation-admins.ts', access: groupChange, summary: '设置或取消管理员（群主）', request: { body: schemas.groupAdminBody } });
export const conversationTransfer = /* @__PURE__ */ http({ name: 'conversationTransfer', method: 'POST', path: '/conversation/transfer', entry: 'functions/conversation-transfer.ts', access: groupChange, summary: '转让群主', request: { body: schemas.groupTransferBody } });
export const conversationDisband = /* @__PURE__ */ http({ name: 'conversationDisband', method: 'POST', path: '/conversation/disband', entry: 'functions/conversation-disband.ts', access: groupChange, summary: '解散群聊（群主）', request: { body: schemas.conversationBody } });
export const userSettings = /* @__PURE__ */ http({ name: 'userSettings', method: 'POST', path: '/user/settings', entry: 'functions/user-settings.ts', access: { table: 'readwrite' }, summary: '修改个人设置（谁可以拉我入群）', request: { body: schemas.userSettingsBody } });
export const messageHistory = /* @__PURE__ */ http({ name: 'messageHistory', method: 'GET', path: '/message/history/{conversation_id}', entry: 'functions/message-history.ts', access: { table: 'read', bucket: 'read' }, summary: '获取消息记录', request: { params: /* @__PURE__ */ schemas.idParam('conversation_id'), query: schemas.historyQuery } });
export const messageSend = /* @__PURE__ */ http({ name: 'messageSend', method: 'POST', path: '/message/send', entry: 'functions/message-send.ts', access: { table: 'readwrite', bucket: 'read', connections: true, enqueue: fanOutSender }, summary: '发送消息', request: { body: schemas.sendMessageBody } });
export const messageRecall = /* @__PURE__ */ http({ name: 'messageRecall', method: 'POST', path: '/message/recall', entry: 'functions/message-recall.ts', access: { table: 'readwrite', bucket: 'readwrite', connections: true }, summary: '撤回消息', request: { body: schemas.messageActionBody } });
export const messageDelete = /* @__PURE__ */ http({ name: 'messageDelete', method: 'POST', path: '/message/delete', entry: 'functions/message-delete.ts', access: { table: 'readwrite' }, summary: '删除消息（仅自己不可见）', request: { body: schemas.messageActionBody } });
export const messageImage = /* @__PURE__ */ http({ name: 'messageImage', method: 'POST', path: '/message/image', entry: 'functions/message-image.ts', access: { table: 'read', bucket: 'readwrite' }, summary: '上传图片（预签名上传；兼容旧的 multipart 上传）', request: { body: schemas.imageUploadBody, multipart: true } });

export const HTTP = { userRegister, userLogin, userLogout, userPassword, userProfile, userProfileById, contactsAdd, contactsRemove, contactsList, userBan, userUnban, conversationCreate, conversationGetlist, conversationMembers, conversationMembersAdd, conversationMembersRemove, conversationLeave, conversationUpdate, conversationAdmins, conversationTransfer, conversationDisband, userSettings, messageHistory, messageSend, messageRecall, messageDelete, messageImage };

export const httpRoutes: HttpRoute[] = /* @__PURE__ */ Object.values(HTTP);

export const HTTP_DEFAULT: HttpDefaultRoute = { kind: 'httpDefault', name: 'httpDefault', routeKey: '$default', entry: 'functions/http-default.ts', access: {}, summary: '未知路径或方法：404 / 405' };

/**
 * The deployed HTTP rows' route keys (`GET /user/profile,POST /user/login,...`), handed to the $default function in
 * its environment by the CDK stack and the local gateway alike: it tells 404 from 405 by them, without importing the
 * table (whose rows bring every request schema into its bundle), and it knows only the rows actually deployed.
 */
export const HTTP_ROUTE_KEYS_ENV = 'HTTP_ROUTE_KEYS';
export const httpRouteKeys = (rows: readonly HttpRoute[]): string => rows.map((row) => `${row.method} ${row.path}`).join(',');

/** The route keys back, each with its path's pattern; fails fast when the variable is missing. */
export function routeKeysFrom(value: string | undefined): Array<{ method: string; pattern: RegExp }> {
  if (!value) throw new Error(`${HTTP_ROUTE_KEYS_ENV} is not set: the $default function needs the deployed route keys`);
  return value.split(',').map((key) => {
    const [method, path] = key.split(' ') as [string, string];
    return { method, pattern: pathPattern(path).pattern };
  });
}

/** A row's path as API Gateway matches it: `{name}` is one non-empty segment. The names, in order, for the captures. */
export function pathPattern(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
  return { pattern, names };
}

const ws = <R extends Omit<WsRoute, 'kind'>>(row: R) => ({ kind: 'ws' as const, ...row });
/** A frame answered to its own connection only, within a per-user limit counted in the table. */
const answersWithinLimit = { table: 'readwrite', connections: true } as const;

export const wsConnect = /* @__PURE__ */ ws({
  name: 'wsConnect', routeKey: '$connect', entry: 'functions/ws-connect.ts', access: { table: 'readwrite' }, summary: '建立连接（记录连接）',
  authorizer: { name: 'wsAuthorizer', entry: 'functions/ws-authorize.ts', identitySource: 'route.request.querystring.token', access: { table: 'read' } },
});
export const wsDisconnect = /* @__PURE__ */ ws({ name: 'wsDisconnect', routeKey: '$disconnect', entry: 'functions/ws-disconnect.ts', access: { table: 'readwrite' }, summary: '断开连接（删除连接记录）' });
export const wsDefault = /* @__PURE__ */ ws({ name: 'wsDefault', routeKey: '$default', entry: 'functions/ws-default.ts', access: answersWithinLimit, summary: '未知 action：回复错误帧（每用户限频）' });
export const wsSendMessage = /* @__PURE__ */ ws({ name: 'wsSendMessage', routeKey: 'sendMessage', entry: 'functions/ws-send-message.ts', access: { table: 'readwrite', bucket: 'read', connections: true, enqueue: fanOutSender }, summary: '发送消息', request: { body: schemas.sendMessageBody } });
export const wsMarkRead = /* @__PURE__ */ ws({ name: 'wsMarkRead', routeKey: 'markRead', entry: 'functions/ws-mark-read.ts', access: { table: 'readwrite', connections: true }, summary: '标记已读（每用户限频）', request: { body: schemas.markReadBody } });
export const wsTyping = /* @__PURE__ */ ws({ name: 'wsTyping', routeKey: 'typing', entry: 'functions/ws-typing.ts', access: { table: 'readwrite', connections: true }, summary: '正在输入（每用户限频）', request: { body: schemas.typingBody } });
export const wsPing = /* @__PURE__ */ ws({ name: 'wsPing', routeKey: 'ping', entry: 'functions/ws-ping.ts', access: answersWithinLimit, summary: '心跳（每用户限频）' });

export const WS = { connect: wsConnect, disconnect: wsDisconnect, fallback: wsDefault, sendMessage: wsSendMessage, markRead: wsMarkRead, typing: wsTyping, ping: wsPing };

export const wsRoutes: WsRoute[] = /* @__PURE__ */ Object.values(WS);

export const QUEUES = {
  // Batch 1: every shard its own invocation, so shards go out in parallel across containers. 10 at once keeps the
  // pushes of all of them (10 × PUSH_CONCURRENCY in flight) well under the account's 10,000 PostToConnection/s.
  // 30 s visibility: twice the function timeout, so a shard still running is never handed out twice.
  fanOut: { kind: 'queue' as const, name: 'fanOut', entry: 'functions/fan-out.ts', access: { table: 'readwrite', connections: true }, summary: '大群消息分片推送', queueUrlEnv: 'FAN_OUT_QUEUE_URL', batchSize: 1, maxConcurrency: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 3 },
} satisfies Record<string, QueueRoute>;

export const queueRoutes: QueueRoute[] = /* @__PURE__ */ Object.values(QUEUES);

export const routes: Route[] = /* @__PURE__ */ [httpRoutes, [HTTP_DEFAULT], wsRoutes, queueRoutes].flat();

/**
 * Every Lambda function the rows make: one per row, plus the $connect row's authorizer as a function of its own
 * (with its own access). The CDK stack and its tests both count from this.
 */
export function lambdaFunctions(rows: readonly Route[]): Route[] {
  return rows.flatMap((row) => (row.kind === 'ws' && row.authorizer ? [row, { ...row, ...row.authorizer, summary: `authorizer of ${row.routeKey}` }] : [row]));
}

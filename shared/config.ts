/**
 * Settings, read once from the environment when a function starts. A missing required setting fails the cold
 * start with a message naming it, instead of failing some later request in a confusing way.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

function optional(name: string): string | undefined {
  return process.env[name] || undefined;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}

function atMost(name: string, fallback: number, max: number): number {
  const value = positiveInt(name, fallback);
  if (value > max) throw new Error(`Environment variable ${name} must be at most ${max}, got ${value}`);
  return value;
}

/** A fixed-window limit: at most `max` counted events per `windowSeconds`. */
export type LimitPolicy = { readonly name: string; readonly max: number; readonly windowSeconds: number };

function limit(name: string, envPrefix: string, max: number, windowSeconds: number): LimitPolicy {
  return Object.freeze({ name, max: positiveInt(`${envPrefix}_MAX`, max), windowSeconds: positiveInt(`${envPrefix}_WINDOW_SECONDS`, windowSeconds) });
}

function loadConfig() {
  const jwtSecret = optional('JWT_SECRET');
  const jwtSecretArn = optional('JWT_SECRET_ARN');
  if (!jwtSecret && !jwtSecretArn) throw new Error('Missing required environment variable JWT_SECRET_ARN (or JWT_SECRET locally)');
  return Object.freeze({
    tableName: required('TABLE_NAME'),
    bucketName: optional('BUCKET_NAME'),
    /** Set only locally: the emulators' endpoints. On AWS the SDK's defaults apply. */
    dynamoEndpoint: optional('DYNAMODB_ENDPOINT'),
    s3Endpoint: optional('S3_ENDPOINT'),
    sqsEndpoint: optional('SQS_ENDPOINT'),
    /** The WebSocket API's @connections endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
    wsCallbackUrl: optional('WS_CALLBACK_URL'),
    jwtSecret,
    jwtSecretArn,
    jwtIssuer: optional('JWT_ISSUER') ?? 'chat-backend',
    tokenTtlSeconds: positiveInt('TOKEN_TTL_SECONDS', 12 * 3600),
    bcryptCost: positiveInt('BCRYPT_COST', 10),
    imageMaxBytes: positiveInt('IMAGE_MAX_BYTES', 10 * 1024 * 1024),
    /** One fan-out push's whole budget, retries (after a 429 or 5xx) included. */
    pushTimeoutMs: positiveInt('PUSH_TIMEOUT_MS', 3000),
    /**
     * A direct push's budget (a frame's answer: its ack or error frame). Longer, because an attempt that timed out is
     * not retried (it may have arrived) and a missing answer is silence to the sender, where a missing fan-out push
     * is a seq gap the client fetches; within the 10 s the contract gives an answer.
     */
    answerTimeoutMs: atMost('ANSWER_TIMEOUT_MS', 8000, 10_000),
    /**
     * Above this many recipient connections a send hands its pushes to the fan-out queue in shards instead of
     * pushing them itself (README, "Fan-out"; the measurement behind the value is there).
     */
    fanOutThreshold: positiveInt('FAN_OUT_THRESHOLD', 100),
    /** How long a container trusts a user's token version before reading it again (never more than 5 s). */
    tokenVersionCacheMs: atMost('TOKEN_VERSION_CACHE_MS', 5000, 5000),
    /** Abuse limits, counted in the table so they hold across Lambda containers (README, "Limits"). */
    limits: Object.freeze({
      /** Failed logins per source IP (any usernames): what one guessing machine gets. */
      loginFailuresPerIp: limit('loginFailuresIp', 'LIMIT_LOGIN_FAILURES_PER_IP', 20, 15 * 60),
      /**
       * Failed logins per account (by username, existing or not) from all addresses together: the ceiling on
       * distributed guessing. Higher than the per-IP limit, and addresses the account signed in from before are
       * exempt, so a stranger cannot lock the owner out.
       */
      loginFailuresPerAccount: limit('loginFailuresAccount', 'LIMIT_LOGIN_FAILURES_PER_ACCOUNT', 100, 15 * 60),
      /** Registrations per source IP. */
      register: limit('register', 'LIMIT_REGISTER', 20, 60 * 60),
      /** Messages sent per user (HTTP and WebSocket alike). */
      messageSend: limit('messageSend', 'LIMIT_MESSAGE_SEND', 120, 60),
      /** `typing` frames per user: a client sends one every few seconds while typing; a flood fans out to every member. */
      typing: limit('typing', 'LIMIT_TYPING', 20, 10),
      /** `markRead` frames per user: one per message read is plenty; each costs reads and a push to every member. */
      markRead: limit('markRead', 'LIMIT_MARK_READ', 60, 10),
      /**
       * `ping` frames per user (all connections): a keep-alive every 30 s on each of 10 connections is 20 a minute.
       * Each one is a Lambda invocation and an answer (the pong, or over the limit the RATE_LIMITED frame).
       */
      ping: limit('ping', 'LIMIT_PING', 30, 60),
      /** Frames no route matches (unknown action, not JSON): a working client sends none; each is answered. */
      unknownFrame: limit('unknownFrame', 'LIMIT_UNKNOWN_FRAME', 10, 60),
      /** WebSocket connections opened per user: reconnect storms and cap-eviction churn stop here. */
      wsConnect: limit('wsConnect', 'LIMIT_WS_CONNECT', 30, 60),
      /** Live WebSocket connections per user; the oldest is closed when a new one goes over (README, "Limits"). */
      connectionsPerUser: positiveInt('LIMIT_CONNECTIONS_PER_USER', 10),
      /** Groups created per user: with consent (groupInvites), keeps one account from filling others' lists. */
      groupCreate: limit('groupCreate', 'LIMIT_GROUP_CREATE', 20, 60 * 60),
      /**
       * Messages into one conversation, whoever sends them: a hot group is told RATE_LIMITED (with retryAfter)
       * before its sends pile up in the store and the fan-out, rather than answered late or not at all.
       */
      conversationSend: limit('conversationSend', 'LIMIT_CONVERSATION_SEND', 30, 10),
    }),
    /** How long a sender may recall their own message (owners and admins of a group may at any time). */
    recallWindowSeconds: positiveInt('RECALL_WINDOW_SECONDS', 120),
  });
}

export type Config = ReturnType<typeof loadConfig>;
export const config: Config = loadConfig();

/** For modules that need an optional setting: fail at load time, naming the variable. */
export function need<K extends keyof Config>(key: K, envName: string): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined) throw new Error(`Missing required environment variable ${envName}`);
  return value as NonNullable<Config[K]>;
}

import { RemovalPolicy } from 'aws-cdk-lib';
import type { HttpStage, ThrottleSettings, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HTTP_DEFAULT, HTTP_ROUTE_KEYS_ENV, httpRouteKeys, httpRoutes as tableHttpRoutes, wsRoutes as tableWsRoutes, queueRoutes as tableQueueRoutes, lambdaFunctions, type HttpDefaultRoute, type HttpRoute, type QueueRoute, type WsRoute } from '../../shared/routes.ts';
import { addQueueFunctions } from './fan-out.ts';
import { httpApi } from './http-api.ts';
import { ChatDashboard, alarmTopic, functionAlarms } from './observability.ts';
import { routeFunction, type RouteResources } from './route-functions.ts';
import { storage } from './storage.ts';
import { addWebSocketRoutes, webSocketApi } from './websocket-api.ts';

export type ChatBackendProps = {
  /** The WebSocket API's stage (its URL ends in it). The HTTP API serves the seed's paths at its `$default` stage, unprefixed. */
  stageName?: string;
  /** bcrypt (cost 10) is CPU-bound, and Lambda CPU scales with memory: 1 GB keeps a login near 100 ms. */
  functionMemoryMb?: number;
  /** Stage-wide caps (requests per second on HTTP, messages per second on WebSocket): a runaway client cannot run up the bill. */
  httpThrottle?: ThrottleSettings;
  webSocketThrottle?: ThrottleSettings;
  /** Function and access logs. */
  logRetention?: RetentionDays;
  /** The table and the image buckets. RETAIN (the default) keeps user data through `cdk destroy`; DESTROY fails on a bucket that still holds objects. */
  removalPolicy?: RemovalPolicy;
  /** Where the function alarms publish; a new topic when absent. */
  alarmTopic?: ITopic;
  /** Origins allowed by the HTTP API's CORS and the bucket's (browser uploads). */
  corsOrigins?: string[];
  /** Custom domain names for both APIs, with a certificate (in the stack's region) that covers both. */
  customDomain?: { httpDomainName: string; webSocketDomainName: string; certificate: ICertificate };
  /**
   * Whether to set the account's API Gateway CloudWatch logging role, which WebSocket access logs need. It is one
   * setting per account and region, made once per stack however many backends it holds; pass false when another
   * stack (or the account's baseline) already sets it.
   */
  apiGatewayAccountRole?: boolean;
  /** Powertools' `service` (metric dimension, log key, dashboard): give each backend in one account its own. */
  serviceName?: string;
  /** The route table's rows; tests pass extra rows to prove a new row needs no extra wiring. */
  httpRoutes?: HttpRoute[];
  httpDefaultRoute?: HttpDefaultRoute;
  wsRoutes?: WsRoute[];
  queueRoutes?: QueueRoute[];
};

/** The defaults: what `cdk deploy` of this repository's ChatStack gets. */
export const CHAT_BACKEND_DEFAULTS = {
  stageName: 'prod',
  functionMemoryMb: 1024,
  httpThrottle: { rateLimit: 200, burstLimit: 400 },
  webSocketThrottle: { rateLimit: 100, burstLimit: 200 },
  logRetention: RetentionDays.ONE_MONTH,
  removalPolicy: RemovalPolicy.RETAIN,
  // Browsers upload straight to S3 with presigned POST/PUT from any origin (the URL itself is the credential).
  corsOrigins: ['*'],
  apiGatewayAccountRole: true,
  serviceName: 'chat-backend',
  incompleteUploadDays: 1,
} as const;

/**
 * The whole chat backend as one construct an infra team places in its own stack, built only from the route table
 * (shared/routes.ts) and the table schema (shared/data/table.ts): one function per row, granted exactly what its
 * `access` declares, behind the HTTP or WebSocket API. Each concern is built in the file named after it:
 * storage.ts, http-api.ts, websocket-api.ts, route-functions.ts, observability.ts.
 */
export class ChatBackend extends Construct {
  readonly table: Table;
  readonly bucket: Bucket;
  readonly httpStage: HttpStage;
  /** Absent while the route table has no WebSocket rows (an API without routes cannot be deployed). */
  readonly webSocketStage?: WebSocketStage;
  readonly alarmTopic: ITopic;
  /** Every function, by its row's name. */
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  /** `backend.dashboard.addGraph(title, metrics)` adds a graph. */
  readonly dashboard: ChatDashboard;
  /** The base URL of the HTTP API (its custom domain's when one is given) and the wss:// URL of the WebSocket API. */
  readonly httpUrl: string;
  readonly webSocketUrl?: string;

  constructor(scope: Construct, id: string, props: ChatBackendProps = {}) {
    super(scope, id);
    // Set here rather than in the app's cdk.json, so the construct behaves the same in any app: grant S3 server
    // access logging through a bucket policy, not the legacy ACL (which object-ownership-enforced buckets refuse).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const settings = { ...CHAT_BACKEND_DEFAULTS, ...definedOnly(props) };
    const httpRows = props.httpRoutes ?? tableHttpRoutes;
    const httpDefaultRow = props.httpDefaultRoute ?? HTTP_DEFAULT;
    const wsRows = props.wsRoutes ?? tableWsRoutes;
    const queueRows = props.queueRoutes ?? tableQueueRoutes;
    const domain = props.customDomain;

    const { table, bucket, secret } = storage(this, settings);
    const webSocket = wsRows.length > 0
      ? webSocketApi(this, {
        stageName: settings.stageName, throttle: settings.webSocketThrottle, logRetention: settings.logRetention, accountLoggingRole: settings.apiGatewayAccountRole,
        domain: domain && { name: domain.webSocketDomainName, certificate: domain.certificate },
      })
      : undefined;

    const resources: RouteResources = { table, bucket, secret, webSocketStage: webSocket?.stage };
    const functionSettings = { memoryMb: settings.functionMemoryMb, logRetention: settings.logRetention, serviceName: settings.serviceName };
    const functions = new Map<string, NodejsFunction>();
    const build = <R extends Parameters<typeof routeFunction>[1]>(row: R) => {
      const fn = routeFunction(this, row, resources, functionSettings);
      functions.set(row.name, fn);
      return { row, fn };
    };

    const httpFunctions = httpRows.map(build);
    const httpDefault = build(httpDefaultRow);
    httpDefault.fn.addEnvironment(HTTP_ROUTE_KEYS_ENV, httpRouteKeys(httpRows));
    const httpStage = httpApi(this, httpFunctions, httpDefault, {
      throttle: settings.httpThrottle, corsOrigins: settings.corsOrigins, logRetention: settings.logRetention,
      domain: domain && { name: domain.httpDomainName, certificate: domain.certificate },
    });
    if (webSocket) {
      // The $connect row's REQUEST authorizer is a function of its own, granted what its own `access` declares.
      addWebSocketRoutes(webSocket.api, wsRows.map((row) => ({ ...build(row), authorizerFn: row.authorizer && build(lambdaFunctions([row])[1]!).fn })));
    }
    const wsFunctions = wsRows.map((row) => ({ row, fn: functions.get(row.name)! }));

    this.alarmTopic = alarmTopic(this, props.alarmTopic);
    // Extra resources built from the route table, one call each: the queue rows (the fan-out) and their consumers.
    const queues = addQueueFunctions(this, { rows: queueRows, consumers: queueRows.map(build), senders: [...httpFunctions, ...wsFunctions], alarmTopic: this.alarmTopic });
    functionAlarms(this, functions, this.alarmTopic);
    this.dashboard = new ChatDashboard(this, functions, table, settings.serviceName);
    for (const [name, queue] of queues) this.dashboard.addGraph(`${name} queue: age of the oldest record (s)`, [queue.metricApproximateAgeOfOldestMessage()]);

    this.table = table;
    this.bucket = bucket;
    this.httpStage = httpStage;
    this.webSocketStage = webSocket?.stage;
    this.functions = functions;
    this.httpUrl = domain ? `https://${domain.httpDomainName}/` : httpStage.url;
    this.webSocketUrl = webSocket && (domain ? `wss://${domain.webSocketDomainName}` : webSocket.stage.url);
  }
}

/** Props left undefined keep their default (a spread would overwrite it with undefined). */
function definedOnly<T extends object>(props: T): Partial<T> {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<T>;
}

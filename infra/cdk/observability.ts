import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRIC } from '../../shared/observability.ts';

/** Logs, alarms and the dashboard: how an operator sees the backend. */

const PERIOD = Duration.minutes(5);

export function logGroup(scope: Construct, id: string, retention: RetentionDays): LogGroup {
  return new LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
}

/** API Gateway access logs as one JSON object per line, queryable with CloudWatch Logs Insights: the fields both APIs share, plus the API's own. */
export function accessLogs(scope: Construct, name: string, retention: RetentionDays, fields: Record<string, string>) {
  const common = {
    requestId: '$context.requestId', ip: '$context.identity.sourceIp', requestTime: '$context.requestTime',
    routeKey: '$context.routeKey', status: '$context.status', integrationLatency: '$context.integrationLatency',
  };
  return { destination: new LogGroupLogDestination(logGroup(scope, name, retention)), format: AccessLogFormat.custom(JSON.stringify({ ...common, ...fields })) };
}

/** The alarm topic given, or a new one. Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and alarms carry no user data. */
export function alarmTopic(scope: Construct, given?: ITopic): ITopic {
  return given ?? new Topic(scope, 'AlarmTopic', { displayName: 'chat-backend alarms', enforceSSL: true });
}

/**
 * One alarm per function on its errors plus its throttles, so the alarm itself names the function at fault. One
 * (not one per signal) keeps a backend near 230 resources: two fit in one stack under CloudFormation's 500.
 */
export function functionAlarms(scope: Construct, functions: ReadonlyMap<string, IFunction>, topic: ITopic): void {
  for (const [name, fn] of functions) {
    const failures = new MathExpression({
      expression: 'errors + throttles',
      usingMetrics: { errors: fn.metricErrors({ statistic: 'Sum' }), throttles: fn.metricThrottles({ statistic: 'Sum' }) },
      period: PERIOD,
      label: `${name} errors + throttles`,
    });
    const alarm = failures.createAlarm(scope, `${name}FailuresAlarm`, {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${name}: Lambda errors or throttles in the last 5 minutes`,
    });
    alarm.addAlarmAction(new SnsAction(topic));
  }
}

/**
 * One dashboard per backend: each route's errors and p99 duration (one function per route), the pushes the
 * handlers counted (EMF, namespace ChatBackend, this backend's `service`), and the table's throttled requests.
 * More graphs (the fan-out queue's age, say) are one `addGraph` call each.
 */
export class ChatDashboard {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, functions: ReadonlyMap<string, IFunction>, table: Table, serviceName: string) {
    this.dashboard = new Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const perRoute = (metric: (fn: IFunction, name: string) => IMetric) => [...functions].map(([name, fn]) => metric(fn, name));
    this.addGraph('Errors per route', perRoute((fn, name) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })));
    this.addGraph('p99 duration per route (ms)', perRoute((fn, name) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name })));
    const counted = (metricName: string, label: string) =>
      new Metric({ namespace: 'ChatBackend', metricName, dimensionsMap: { service: serviceName }, period: PERIOD, statistic: 'Sum', label });
    this.addGraph('Pushes', [counted(METRIC.pushesDelivered, 'delivered'), counted(METRIC.goneConnections, 'gone (410, connection removed)')]);
    this.addGraph('DynamoDB throttled requests', [
      table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum', label: 'read' }),
      table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum', label: 'write' }),
    ]);
  }

  addGraph(title: string, metrics: IMetric[]): void {
    this.dashboard.addWidgets(new GraphWidget({ title, left: metrics, width: 12, height: 6 }));
  }
}

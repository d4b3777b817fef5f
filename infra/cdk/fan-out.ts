import { Duration, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ComparisonOperator, TreatMissingData, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { QueueRoute, Route } from '../../shared/routes.ts';
import { ENQUEUE_ACTIONS } from './permissions.ts';

/**
 * The queue rows of the route table (shared/routes.ts), each as an SQS queue feeding its function: a dead-letter
 * queue after maxReceiveCount deliveries, the Lambda event source with the row's batch size and maximum
 * concurrency (and reportBatchItemFailures, so one failed shard is all that comes back), the function's reserved
 * concurrency, alarms on dead letters and on the queue's backlog, and, for every row whose `access.enqueue` names
 * the queue, its URL in the environment and sqs:SendMessage on that queue only.
 */
export type QueueWiring = {
  rows: readonly QueueRoute[];
  /** The queue rows' own functions (built like every row's, by routeFunction). */
  consumers: ReadonlyArray<{ row: QueueRoute; fn: LambdaFunction }>;
  /** Every other function, so those that enqueue can be granted it. */
  senders: ReadonlyArray<{ row: Route; fn: LambdaFunction }>;
  alarmTopic: ITopic;
};

/** A backlog older than this means the fan-out is not keeping up: pushes arrive that late. */
const OLDEST_MESSAGE_ALARM_SECONDS = 60;

export function addQueueFunctions(stack: Construct, { rows, consumers, senders, alarmTopic }: QueueWiring): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  for (const row of rows) {
    const common = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };
    // Kept 14 days (the maximum) so an operator can read what failed and redrive it.
    const deadLetterQueue = new Queue(stack, `${row.name}DeadLetterQueue`, { ...common, retentionPeriod: Duration.days(14) });
    Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the dead-letter queue of the queue beside it.' });
    const queue = new Queue(stack, `${row.name}Queue`, {
      ...common,
      visibilityTimeout: Duration.seconds(row.visibilityTimeoutSeconds),
      // A shard older than this is not worth pushing: its recipients have long caught up from history.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: row.maxReceiveCount },
    });
    queues.set(row.name, queue);

    const consumer = consumers.find((c) => c.row === row)!.fn;
    consumer.addEventSource(new SqsEventSource(queue, { batchSize: row.batchSize, maxConcurrency: Math.max(2, row.maxConcurrency), reportBatchItemFailures: true }));
    (consumer.node.defaultChild as CfnFunction).reservedConcurrentExecutions = row.maxConcurrency;

    const alarm = (id: string, metric: Metric, threshold: number, description: string) => {
      metric.createAlarm(stack, `${row.name}${id}Alarm`, {
        threshold, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING, alarmDescription: description,
      }).addAlarmAction(new SnsAction(alarmTopic));
    };
    const period = Duration.minutes(5);
    alarm('DeadLetters', deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), 1, `${row.name}: records failed ${row.maxReceiveCount} times and were moved to the dead-letter queue`);
    alarm('Backlog', queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }), OLDEST_MESSAGE_ALARM_SECONDS, `${row.name}: the oldest queued record waited over ${OLDEST_MESSAGE_ALARM_SECONDS} s`);

    for (const sender of senders.filter(({ row: s }) => s.access.enqueue?.includes(row.name))) {
      sender.fn.addToRolePolicy(new PolicyStatement({ actions: [...ENQUEUE_ACTIONS], resources: [queue.queueArn] }));
      sender.fn.addEnvironment(row.queueUrlEnv, queue.queueUrl);
    }
  }
  return queues;
}

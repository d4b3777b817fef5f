import type { Access } from '../../shared/routes.ts';

/**
 * Least privilege, read straight off a route row's `access`. These lists are the whole of what a function may do
 * to the table and the bucket: no Scan, no DescribeTable, no wildcards.
 */
export const TABLE_ACTIONS = {
  /** ConditionCheckItem: a read-only route may still guard a transaction on another item's state. */
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  /** TransactWriteItems is authorised by the Put/Update/Delete/ConditionCheck actions it contains. */
  readwrite: [
    'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
  ],
} as const satisfies Record<NonNullable<Access['table']>, readonly string[]>;

export const BUCKET_ACTIONS = {
  read: ['s3:GetObject'],
  readwrite: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], // DeleteObject: a recalled image is removed
} as const satisfies Record<NonNullable<Access['bucket']>, readonly string[]>;

/** PostToConnection, GetConnection and DeleteConnection are all this one IAM action. */
export const CONNECTIONS_ACTIONS = ['execute-api:ManageConnections'] as const;

/** The signing key is read once per cold start. */
export const SECRET_ACTIONS = ['secretsmanager:GetSecretValue'] as const;

/** The function's own log group (given explicitly, so it never needs logs:CreateLogGroup). */
export const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/** A sender hands work to a queue row: SendMessageBatch is authorised by this same action. */
export const ENQUEUE_ACTIONS = ['sqs:SendMessage'] as const;

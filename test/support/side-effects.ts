import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { LocalStack } from '../../infra/local/stack.ts';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local.ts';

/**
 * Everything a request could leave behind in a test stack: every table item, every bucket object, and the pushes
 * made through @connections. A test takes one before and one after a request and compares them. (A Scan is fine
 * here: this is a test's look at its own small table, never a request path.)
 */
export function sideEffects(stack: LocalStack) {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const s3 = new S3Client({ endpoint: stack.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  let pushes = 0;
  stack.ws.on('push', () => pushes++);

  async function tableItems(): Promise<string[]> {
    const items: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort();
  }

  async function objects(): Promise<string[]> {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName }));
    return (page.Contents ?? []).map((object) => object.Key!).sort();
  }

  return {
    snapshot: async () => ({ items: await tableItems(), objects: await objects(), pushes }),
    /** What changed between two snapshots, in words (empty when nothing did). */
    diff(before: Snapshot, after: Snapshot): string[] {
      const added = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
      return [
        ...added(before.items, after.items).map((item) => `table item written: ${item.slice(0, 120)}`),
        ...added(after.items, before.items).map((item) => `table item changed or deleted: ${item.slice(0, 120)}`),
        ...added(before.objects, after.objects).map((key) => `object stored: ${key}`),
        ...(after.pushes > before.pushes ? [`${after.pushes - before.pushes} push(es) sent`] : []),
      ];
    },
  };
}

export type Snapshot = { items: string[]; objects: string[]; pushes: number };

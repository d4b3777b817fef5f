import { queueHandler } from '../shared/queue/sqs.ts';
import { QUEUES } from '../shared/routes.ts';
import { deliverShard, type FanOutShard } from '../shared/domain/fan-out.ts';

export const handler = queueHandler(QUEUES.fanOut, async (body) => {
  await deliverShard(body as FanOutShard);
});

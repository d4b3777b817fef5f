import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { storeNewMessage, toMessageView } from '../shared/domain/messages.ts';
import { withImageUrls } from '../shared/domain/images.ts';

export const handler = httpRoute(HTTP.messageSend, async ({ userId, body }) => {
  const { message, duplicate } = await storeNewMessage(userId, body);
  const [data] = await withImageUrls([toMessageView(message)]);
  return { status: duplicate ? 200 : 201, message: '发送成功', data };
});

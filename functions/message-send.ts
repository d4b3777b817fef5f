import { httpRoute } from '../shared/http/adapter.ts';
import { messageSend } from '../shared/routes.ts';
import { sendMessage } from '../shared/domain/sending.ts';

export const handler = httpRoute(messageSend, async ({ userId, body }) => {
  const { message, duplicate } = await sendMessage(userId, body);
  return { status: duplicate ? 200 : 201, message: '发送成功', data: message };
});

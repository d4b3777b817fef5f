import { httpRoute } from '../shared/http/adapter.ts';
import { messageHistory } from '../shared/routes.ts';
import { getHistory, toMessageView } from '../shared/domain/messages.ts';
import { withImageUrls } from '../shared/domain/images.ts';

export const handler = httpRoute(messageHistory, async ({ userId, params, query }) => {
  const page = await getHistory(userId, params.conversation_id, query);
  return { message: '查询成功', messages: await withImageUrls(page.messages.map(toMessageView)), next_cursor: page.next_cursor, next_seq: page.next_seq, last_seq: page.last_seq };
});

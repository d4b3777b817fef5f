import { httpRoute } from '../shared/http/adapter.ts';
import { conversationCreate } from '../shared/routes.ts';
import { createConversation } from '../shared/domain/conversations.ts';

export const handler = httpRoute(conversationCreate, async ({ userId, query }) => {
  const { conversation, created } = await createConversation(userId, query.contactId, query.name);
  return { status: created ? 201 : 200, message: created ? '创建会话成功' : '会话已存在', conversation, conversations: [conversation] };
});

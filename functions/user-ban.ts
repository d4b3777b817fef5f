import { httpRoute } from '../shared/http/adapter.ts';
import { userBan } from '../shared/routes.ts';
import { blockUser } from '../shared/domain/blocks.ts';

export const handler = httpRoute(userBan, async ({ userId, params }) => {
  const { created } = await blockUser(userId, params.bannerId);
  return { message: created ? '屏蔽成功' : '已屏蔽该用户' };
});

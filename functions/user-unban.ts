import { httpRoute } from '../shared/http/adapter.ts';
import { userUnban } from '../shared/routes.ts';
import { unblockUser } from '../shared/domain/blocks.ts';

export const handler = httpRoute(userUnban, async ({ userId, params }) => {
  await unblockUser(userId, params.bannerId);
  return { message: '移除屏蔽成功' };
});

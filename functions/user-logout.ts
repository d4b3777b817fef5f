import { httpRoute } from '../shared/http/adapter.ts';
import { userLogout } from '../shared/routes.ts';
import { logoutEverywhere } from '../shared/domain/users.ts';

export const handler = httpRoute(userLogout, async ({ userId }) => {
  await logoutEverywhere(userId);
  return { message: '已退出所有设备' };
});

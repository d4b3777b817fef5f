import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { logoutEverywhere } from '../shared/domain/users.ts';

export const handler = httpRoute(HTTP.userLogout, async ({ userId }) => {
  await logoutEverywhere(userId);
  return { message: '已退出所有设备' };
});

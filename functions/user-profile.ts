import { httpRoute } from '../shared/http/adapter.ts';
import { userProfile } from '../shared/routes.ts';
import { getOwnProfile } from '../shared/domain/users.ts';

export const handler = httpRoute(userProfile, async ({ userId }) => {
  return { message: '查询成功', user: await getOwnProfile(userId) };
});

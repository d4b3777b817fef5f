import { httpRoute } from '../shared/http/adapter.ts';
import { contactsList } from '../shared/routes.ts';
import { getContacts } from '../shared/domain/contacts.ts';

export const handler = httpRoute(contactsList, async ({ userId }) => {
  return { message: '查询成功', contacts: await getContacts(userId) };
});

import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { addContact } from '../shared/domain/contacts.ts';

export const handler = httpRoute(HTTP.contactsAdd, async ({ userId, body }) => {
  return { message: '添加联系人成功', contact: await addContact(userId, body.id) };
});

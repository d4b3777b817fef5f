import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { deleteContact, listContacts, putContact } from '../data/contacts.ts';
import { requireUser } from './users.ts';

export type ContactView = { id: number; username: string; nickname: string };

export async function addContact(ownerId: number, contactId: number): Promise<ContactView> {
  if (contactId === ownerId) throw new ValidationError('不能添加自己为联系人', 'id');
  const contact = await requireUser(contactId);
  const added = await putContact({ ownerId, contactId, username: contact.username, nickname: contact.nickname, createdAt: new Date().toISOString() });
  if (!added) throw new ConflictError('ALREADY_CONTACT', '该用户已是联系人');
  return { id: contact.id, username: contact.username, nickname: contact.nickname };
}

export async function removeContact(ownerId: number, contactId: number): Promise<void> {
  if (!(await deleteContact(ownerId, contactId))) throw new NotFoundError('联系人不存在');
}

export async function getContacts(ownerId: number): Promise<ContactView[]> {
  const contacts = await listContacts(ownerId);
  return contacts.map((c) => ({ id: c.contactId, username: c.username, nickname: c.nickname }));
}

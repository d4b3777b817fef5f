import { HTTP } from '../../shared/routes.ts';
import type { BenchRequest } from './events.ts';
import type { HttpCase } from './http.ts';
import { BENCH_PASSWORD, seedContacts, seedGroup, seedMessages, seedSingle, seedUsers, type BenchUser } from './fixtures.ts';

/**
 * The data every section measures against, and one representative request per route. `owner` has the issue's
 * sizes: `conversations` conversations (getlist), `contacts` contacts, and a conversation of `historyMessages`
 * messages; `single` is owner↔peer, `group` has 100 members.
 */
export type World = {
  owner: BenchUser;
  peer: BenchUser;
  stranger: BenchUser;
  single: number;
  group: number;
  groupSize: number;
  contacts: number;
  conversations: number;
  history: { conversationId: number; messages: number; deepCursor: number };
  /** Users beyond the 100 of the group, for the scale section's larger groups. */
  crowd: BenchUser[];
};

export async function buildWorld(sizes: { conversations: number; contacts: number; historyMessages: number; crowd: number }): Promise<World> {
  const [owner, peer, stranger] = await seedUsers(3, 'bench');
  const crowd = await seedUsers(sizes.crowd, 'member');
  const single = await seedSingle(owner!, peer!);
  const groupSize = 100;
  const group = await seedGroup([owner!.id, ...crowd.slice(0, groupSize - 1).map((u) => u.id)]);
  await seedContacts(owner!, crowd.slice(0, sizes.contacts));
  // getlist: every conversation has a last message, as in real use.
  const others = [single, group];
  for (let i = others.length; i < sizes.conversations; i++) others.push(await seedGroup([owner!.id, peer!.id, crowd[i % crowd.length]!.id]));
  await Promise.all(others.slice(2).map((id) => seedMessages(id, peer!.id, 1)));
  const historyId = await seedGroup([owner!.id, peer!.id]);
  const ids = await seedMessages(historyId, peer!.id, sizes.historyMessages);
  // The deep page: 90% of the way back from the newest message.
  const deepCursor = ids[Math.floor(ids.length / 10)]!;
  return { owner: owner!, peer: peer!, stranger: stranger!, single, group, groupSize, contacts: sizes.contacts, conversations: others.length, history: { conversationId: historyId, messages: ids.length, deepCursor }, crowd };
}

type Sample = () => BenchRequest;

/** One realistic request per HTTP route (a function: a fresh body where a repeat would conflict). */
export function routeSamples(w: World): Partial<Record<keyof typeof HTTP, Sample>> {
  const { owner, peer, stranger } = w;
  let sent = 0;
  return {
    userRegister: () => ({ route: HTTP.userRegister, path: '/user/register', body: { username: `reg_${Math.random().toString(36).slice(2, 12)}`, password: BENCH_PASSWORD, nickname: 'bench' } }),
    userLogin: () => ({ route: HTTP.userLogin, path: '/user/login', body: { username: owner.username, password: owner.password } }),
    userProfile: () => ({ route: HTTP.userProfile, path: '/user/profile', token: owner.token }),
    userProfileById: () => ({ route: HTTP.userProfileById, path: `/user/profile/${peer.id}`, token: owner.token }),
    contactsAdd: () => ({ route: HTTP.contactsAdd, path: '/contacts/add', token: owner.token, body: { id: stranger.id } }),
    contactsRemove: () => ({ route: HTTP.contactsRemove, path: `/contacts/remove/${stranger.id}`, token: owner.token }),
    contactsList: () => ({ route: HTTP.contactsList, path: '/contacts/list', token: owner.token }),
    userBan: () => ({ route: HTTP.userBan, path: `/user/ban/${stranger.id}`, token: owner.token }),
    userUnban: () => ({ route: HTTP.userUnban, path: `/user/unban/${stranger.id}`, token: owner.token }),
    conversationCreate: () => ({ route: HTTP.conversationCreate, path: `/conversation/create?contactId=${peer.id}`, token: owner.token }),
    conversationGetlist: () => ({ route: HTTP.conversationGetlist, path: '/conversation/getlist', token: owner.token }),
    conversationMembers: () => ({ route: HTTP.conversationMembers, path: `/conversation/members?conversationId=${w.group}`, token: owner.token }),
    messageHistory: () => ({ route: HTTP.messageHistory, path: `/message/history/${w.history.conversationId}`, token: owner.token }),
    messageImage: () => ({ route: HTTP.messageImage, path: '/message/image', token: owner.token, body: { contentType: 'image/png', size: 50_000, conversationId: w.single } }),
    messageSend: () => ({ route: HTTP.messageSend, path: '/message/send', token: owner.token, body: { conversationId: w.single, content: `bench ${++sent}`, type: 'text' } }),
  };
}

/** Requests measured beyond one per route: the deep history page and a send to the 100-member group. */
export function extraSamples(w: World): Record<string, Sample> {
  return {
    'message/history (deep page)': () => ({ route: HTTP.messageHistory, path: `/message/history/${w.history.conversationId}?before=${w.history.deepCursor}`, token: w.owner.token }),
    [`message/send (group of ${w.groupSize})`]: () => ({ route: HTTP.messageSend, path: '/message/send', token: w.owner.token, body: { conversationId: w.group, content: 'to the group', type: 'text' } }),
  };
}

/** The HTTP load-test list. */
export function httpCases(w: World): HttpCase[] {
  const samples = routeSamples(w);
  const extra = extraSamples(w);
  return [
    { name: 'POST /user/login', ...samples.userLogin!() },
    { name: 'GET /user/profile', ...samples.userProfile!() },
    { name: `GET /contacts/list (${w.contacts} contacts)`, ...samples.contactsList!() },
    { name: `GET /conversation/getlist (${w.conversations} conversations)`, ...samples.conversationGetlist!() },
    { name: `GET /message/history (${w.history.messages} msgs, newest page)`, ...samples.messageHistory!() },
    { name: `GET /message/history (${w.history.messages} msgs, deep page)`, ...extra['message/history (deep page)']!() },
    { name: 'POST /message/send (1:1)', ...samples.messageSend!() },
  ];
}

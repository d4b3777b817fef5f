// Named imports: the default export is one object of every function (sync ones too), which esbuild cannot shake.
import { compare, hash } from 'bcryptjs';
import { config } from '../config.ts';

export function hashPassword(password: string): Promise<string> {
  return hash(password, config.bcryptCost);
}

export function checkPassword(password: string, stored: string): Promise<boolean> {
  return compare(password, stored);
}

/** Compared against when the username does not exist, so a login takes as long either way (no user enumeration). */
let dummyHash: Promise<string> | undefined;
export function burnPasswordCheck(password: string): Promise<boolean> {
  dummyHash ??= hash('not-a-real-password', config.bcryptCost);
  return dummyHash.then((stored) => compare(password, stored));
}

/**
 * Names people read: usernames and nicknames. Both refuse characters that show nothing or rearrange what is shown,
 * so a name cannot be blank on screen, impersonate another by hidden differences, or flip the text around it.
 * Usernames are also unique by their canonical form, so look-alikes that Unicode itself calls the same collide.
 */

/**
 * Control (Cc), format (Cf: bidi embeddings and overrides, isolates, zero-width space/joiners, word joiner, BOM,
 * soft hyphen), private-use, unassigned and surrogate code points, line/paragraph separators, and the fillers
 * that render as nothing although Unicode calls them letters or symbols (Hangul fillers, halfwidth Hangul filler,
 * Braille blank, combining grapheme joiner, Khmer inherent vowels, variation selectors).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800\u034F\u17B4\u17B5\u180B-\u180F\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;

export const hasInvisible = (text: string): boolean => INVISIBLE.test(text);

/**
 * Latin, Cyrillic and Greek share many identical-looking letters (а/a, о/o, ρ/p): a username may use letters of
 * at most one of them, so `pаypal` with a Cyrillic а is refused. (CJK scripts may mix with any one of them.)
 */
const CONFUSABLE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u];
export const mixesConfusableScripts = (text: string): boolean => CONFUSABLE_SCRIPTS.filter((script) => script.test(text)).length > 1;

/**
 * The form uniqueness is decided on: NFKC (full-width `ａｄｍｉｎ`, ligatures and compatibility forms become their
 * plain letters) then case folding (upper-casing first folds ß to ss and final sigma with sigma, as full case
 * folding does), normalized again since case mapping can denormalize.
 */
export function canonicalUsername(username: string): string {
  return username.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

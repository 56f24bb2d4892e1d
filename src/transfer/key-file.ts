import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { isValidName } from '../dns/names.js';
import { HMAC_SHA256, type TsigKey } from './tsig.js';

const KEY_OPTION = '--tsig-key-file (DNSBRIDGE_TSIG_KEY_FILE, "tsig-key-file" in the config file)';

/**
 * Reads a TSIG key in BIND's format, as `tsig-keygen -a hmac-sha256 NAME` writes it:
 * `key "NAME" { algorithm hmac-sha256; secret "BASE64"; };`. Messages never repeat the secret.
 */
export function readTsigKeyFile(path: string): TsigKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw problem(`cannot read the TSIG key from ${path}: ${(error as Error).message}`);
  }
  const parsed = parseTsigKey(text);
  if (typeof parsed === 'string') throw problem(`${path}: ${parsed}`);
  return parsed;
}

/** The key in a BIND key statement; a string says what is wrong. */
export function parseTsigKey(text: string): TsigKey | string {
  // Whole-line comments only: a base64 secret may hold '//'.
  const withoutComments = text.replace(/^\s*(#|\/\/).*$/gm, '');
  const statement = /key\s+"?([^"\s{]+)"?\s*\{([\s\S]*?)\}\s*;/.exec(withoutComments);
  if (!statement) return 'no `key "NAME" { algorithm ...; secret "..."; };` statement (as tsig-keygen writes it)';
  const name = statement[1].toLowerCase().replace(/\.$/, '');
  const algorithm = /algorithm\s+"?([\w-]+)"?\s*;/.exec(statement[2])?.[1].toLowerCase();
  const secret = /secret\s+"([A-Za-z0-9+/=\s]+)"\s*;/.exec(statement[2])?.[1].replace(/\s/g, '');
  if (!isValidName(name)) return `"${name}" is not a valid key name`;
  if (algorithm !== HMAC_SHA256) return `key "${name}": algorithm ${algorithm ?? '(none)'} is not supported, only ${HMAC_SHA256}`;
  if (!secret) return `key "${name}": no base64 secret "..."`;
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length < 16) return `key "${name}": the secret is shorter than 16 bytes`;
  return { name, secret: bytes };
}

function problem(message: string): ConfigError {
  return new ConfigError([{ key: KEY_OPTION, message }]);
}

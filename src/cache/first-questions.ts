import { MAX_UDP_SIZE, RRClass, RRType } from '../dns/constants.js';
import type { Query } from '../dns/query.js';

/**
 * The questions most first queries for `name` are: A, AAAA and SRV over UDP, with an OPT record
 * (dig, c-ares, unbound, systemd-resolved: 1232 bytes or more, which the cache files under
 * 1232) and without one (glibc's default, 512 bytes). `--preload` encodes their answers before
 * anyone asks; any other form (TCP, the DO bit, a size between) is encoded at its first query.
 */
export function firstQuestions(name: string): Query[] {
  const questions: Query[] = [];
  for (const type of [RRType.A, RRType.AAAA, RRType.SRV]) {
    const question = { id: 0, flags: 0, name, type, class: RRClass.IN, nameEnd: 0, questionEnd: 0 };
    questions.push({ ...question, edns: { udpSize: MAX_UDP_SIZE, version: 0, dnssecOk: false } });
    questions.push(question);
  }
  return questions;
}


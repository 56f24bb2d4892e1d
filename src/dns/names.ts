/**
 * Names in wire form <-> the text form used as keys: lowercased ASCII, labels joined by '.',
 * no trailing dot, bytes outside [a-z0-9_*-] escaped as \DDD so no two wire names share a key.
 */
const MAX_NAME = 255;
const MAX_LABEL = 63;

export interface ReadName {
  name: string;
  /** Offset just past the name where it started (past the first pointer, if any). */
  end: number;
}

/** Where the hot path assembles a plain question name, so it becomes one string at once. */
const nameScratch = Buffer.alloc(MAX_NAME);

/**
 * Reads a question name, where compression pointers have nothing to point at; a string is an
 * error. Plain names (letters, digits, `-`, `_`, `*`) are lowercased into a scratch buffer and
 * made one string: the per-label strings this avoids were a tenth of a cache hit's time.
 */
export function readQuestionName(msg: Buffer, offset: number): ReadName | string {
  const start = offset;
  let length = 0;
  let wireLength = 1;
  let escaped = false;
  for (;;) {
    if (offset >= msg.length) return 'name cut short';
    const len = msg[offset];
    if (len === 0) return escaped ? readEscapedQuestionName(msg, start) : { name: nameScratch.toString('latin1', 0, length), end: offset + 1 };
    if ((len & 0xc0) === 0xc0) return 'compression pointer in the question';
    if (len & 0xc0) return 'reserved label type';
    wireLength += len + 1;
    if (wireLength > MAX_NAME) return 'name longer than 255 bytes';
    if (offset + 1 + len > msg.length) return 'label cut short';
    if (length) nameScratch[length++] = 0x2e;
    for (let i = offset + 1; i <= offset + len; i++) {
      const c = msg[i];
      if (isUpper(c)) nameScratch[length++] = c + 0x20;
      else if (isLower(c) || isDigit(c) || c === 0x2d || c === 0x5f || c === 0x2a) nameScratch[length++] = c;
      else escaped = true;
    }
    offset += 1 + len;
  }
}

/** `readQuestionName` for a name it checked already, with bytes that must be escaped as \DDD. */
function readEscapedQuestionName(msg: Buffer, offset: number): ReadName | string {
  let name = '';
  for (;;) {
    const len = msg[offset];
    if (len === 0) return { name, end: offset + 1 };
    const label = labelText(msg, offset + 1, offset + 1 + len);
    name = name === '' ? label : `${name}.${label}`;
    offset += 1 + len;
  }
}

/** Reads a name that may use compression pointers (RFC 1035 4.1.4), refusing loops and forward jumps. */
export function readName(msg: Buffer, offset: number): ReadName | string {
  const labels: string[] = [];
  let end = -1;
  let wireLength = 1;
  let lowestJump = offset;
  for (;;) {
    if (offset >= msg.length) return 'name cut short';
    const len = msg[offset];
    if (len === 0) {
      return { name: labels.join('.'), end: end < 0 ? offset + 1 : end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (offset + 1 >= msg.length) return 'pointer cut short';
      const target = ((len & 0x3f) << 8) | msg[offset + 1];
      // Only backward jumps, each lower than the last: no loop can form.
      if (target >= lowestJump) return 'compression pointer loop or forward pointer';
      if (end < 0) end = offset + 2;
      lowestJump = target;
      offset = target;
      continue;
    }
    if (len & 0xc0) return 'reserved label type';
    wireLength += len + 1;
    if (wireLength > MAX_NAME) return 'name longer than 255 bytes';
    if (offset + 1 + len > msg.length) return 'label cut short';
    labels.push(labelText(msg, offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
}

function labelText(msg: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = msg[i];
    if (!(isLower(c) || isUpper(c) || isDigit(c) || c === 0x2d || c === 0x5f || c === 0x2a)) {
      plain = false;
      break;
    }
  }
  if (plain) return msg.toString('latin1', start, end).toLowerCase();
  let text = '';
  for (let i = start; i < end; i++) {
    const c = msg[i];
    if (isUpper(c)) text += String.fromCharCode(c + 0x20);
    else if (isLower(c) || isDigit(c) || c === 0x2d || c === 0x5f || c === 0x2a) text += String.fromCharCode(c);
    else text += `\\${c.toString().padStart(3, '0')}`;
  }
  return text;
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Splits a text name into the label bytes it stands for, undoing \DDD escapes. */
export function nameLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  return text.split('.').map((label) => {
    if (!label.includes('\\')) return Buffer.from(label, 'latin1');
    const bytes: number[] = [];
    for (let i = 0; i < label.length; i++) {
      if (label[i] === '\\' && /^\d{3}$/.test(label.slice(i + 1, i + 4))) {
        bytes.push(Number(label.slice(i + 1, i + 4)));
        i += 3;
      } else bytes.push(label.charCodeAt(i));
    }
    return Buffer.from(bytes);
  });
}

/** True when the text name can be written to the wire: labels of 1-63 bytes, 255 bytes in all. */
export function isValidName(name: string): boolean {
  const labels = nameLabels(name);
  let length = 1;
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL) return false;
    length += label.length + 1;
  }
  return length <= MAX_NAME;
}

/** `name` relative to `zone`: the labels before the zone, or undefined when outside it. */
export function labelsUnder(name: string, zone: string): string[] | undefined {
  if (name === zone) return [];
  if (!name.endsWith(`.${zone}`)) return undefined;
  return name.slice(0, name.length - zone.length - 1).split('.');
}

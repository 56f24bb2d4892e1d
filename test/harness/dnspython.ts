import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's interpreter: python3-dnspython is installed for it, not for another python3 on PATH. */
const PYTHON = '/usr/bin/python3';

/** What dnspython read from an answer. */
export interface DnspythonAnswer {
  rcode: string;
  /** Extended DNS Errors (RFC 8914): INFO-CODE and EXTRA-TEXT. */
  ede: { code: number; text: string | null }[];
  answer: string[];
}

// Prints the answer as JSON; an EDNS query so the server may send its Extended DNS Errors.
const SCRIPT = `
import json, sys
import dns.edns, dns.message, dns.query, dns.rcode
host, port, name, rtype, transport = sys.argv[1:6]
query = dns.message.make_query(name, rtype, use_edns=0)
send = dns.query.tcp if transport == 'tcp' else dns.query.udp
reply = send(query, host, port=int(port), timeout=5)
ede = [{'code': int(o.code), 'text': o.text} for o in reply.options if o.otype == dns.edns.OptionType.EDE]
answer = [rr.to_text() for rrset in reply.answer for rr in rrset]
print(json.dumps({'rcode': dns.rcode.to_text(reply.rcode()), 'ede': ede, 'answer': answer}))
`;

/** Asks with dnspython (Debian `python3-dnspython`), an independent reader of EDNS options. */
export async function askDnspython(host: string, port: number, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Promise<DnspythonAnswer> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install the Debian package python3-dnspython`);
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, host, String(port), name, type, transport]).catch((error: Error & { stderr?: string }) => {
    if (error.stderr?.includes("No module named 'dns'")) throw new Error('dnspython is missing: install the Debian package python3-dnspython');
    throw error;
  });
  return JSON.parse(stdout) as DnspythonAnswer;
}

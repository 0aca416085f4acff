import { execFileSync } from 'node:child_process';

/**
 * Parses a DSN with Python's `email` package — a second, independent MIME parser (the tests
 * parse every report with mailparser too). Returns the structure as Python sees it.
 */
export interface PythonDsn {
  defects: string[];
  headers: Record<string, string>;
  content_type: string;
  report_type: string | null;
  parts: string[];
  /** The message/delivery-status blocks: per-message first, then one per recipient. */
  status: Record<string, string>[];
  /** text/rfc822-headers: the returned header section; message/rfc822: the returned message. */
  returned_headers: string | null;
  returned_message: { subject: string | null; body: string } | null;
  text: string;
}

const SCRIPT = `
import sys, json, email
from email import policy
raw = sys.stdin.buffer.read()
msg = email.message_from_bytes(raw, policy=policy.default)
out = {"defects": [type(d).__name__ for d in msg.defects], "headers": {k: str(v) for k, v in msg.items()},
       "content_type": msg.get_content_type(), "report_type": msg.get_param("report-type"),
       "parts": [], "status": [], "returned_headers": None, "returned_message": None, "text": ""}
for part in msg.iter_parts():
    ct = part.get_content_type()
    out["parts"].append(ct)
    out["defects"] += [type(d).__name__ for d in part.defects]
    if ct == "message/delivery-status":
        for block in part.get_payload():
            out["status"].append({k: " ".join(str(v).split()) for k, v in block.items()})
    elif ct == "text/rfc822-headers":
        out["returned_headers"] = part.get_content()
    elif ct == "message/rfc822":
        inner = part.get_payload()[0]
        out["returned_message"] = {"subject": inner["subject"], "body": inner.get_content()}
    elif ct == "text/plain":
        out["text"] = part.get_content()
print(json.dumps(out))
`;

export function parseWithPython(raw: Buffer): PythonDsn {
  const stdout = execFileSync('python3', ['-c', SCRIPT], { input: raw });
  return JSON.parse(stdout.toString('utf8')) as PythonDsn;
}

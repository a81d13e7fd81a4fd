"""Throwaway webhook receiver for the live check: verifies X-LRS-Signature, appends one JSON line
per request ({"sig_ok","fresh","ctype","body"}) to $HOOK_OUT. Listens on 127.0.0.1:5180."""
import hmac, hashlib, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
SECRET = os.environ.get("LRS_WEBHOOK_SECRET", "test-secret-123").encode()
OUT = open(os.environ.get("HOOK_OUT", "hook.jsonl"), "a", buffering=1)
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0)); body = self.rfile.read(n)
        ts = self.headers.get("X-LRS-Timestamp", ""); sig = self.headers.get("X-LRS-Signature", "")
        exp = "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(exp, sig); fresh = abs(time.time() - int(ts or 0)) < 300
        rec = {"sig_ok": ok, "fresh": fresh, "ctype": self.headers.get("Content-Type"), "body": json.loads(body)}
        OUT.write(json.dumps(rec) + "\n")
        self.send_response(204 if ok else 401); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", 5180), H).serve_forever()

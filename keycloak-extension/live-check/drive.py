"""Throwaway login driver for the live check against Keycloak on 127.0.0.1:8180 (realm t).
setup() creates realm/client/users/agreement/required action/listener; login(session, user,
choice="accept"|"cancel", prompt=None) drives the browser flow and returns what it saw."""
import html, json, re, sys, time, urllib.parse as up
import requests
KC = "http://127.0.0.1:8180"; R = "t"; REDIRECT = "http://127.0.0.1:5999/cb"

def admin():
    r = requests.post(f"{KC}/realms/master/protocol/openid-connect/token",
                      data={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "admin"})
    r.raise_for_status(); s = requests.Session(); s.headers["Authorization"] = "Bearer " + r.json()["access_token"]; return s

def setup():
    a = admin()
    if a.get(f"{KC}/admin/realms/{R}").status_code == 404:
        a.post(f"{KC}/admin/realms", json={"realm": R, "enabled": True}).raise_for_status()
    a.post(f"{KC}/admin/realms/{R}/clients", json={"clientId": "lrs-portal", "publicClient": True,
           "standardFlowEnabled": True, "directAccessGrantsEnabled": False, "redirectUris": [REDIRECT + "*"]})
    for u in ("alice", "bob"):
        a.post(f"{KC}/admin/realms/{R}/users", json={"username": u, "enabled": True, "email": f"{u}@example.org",
               "emailVerified": True, "firstName": u.title(), "lastName": "Test",
               "credentials": [{"type": "password", "value": "Passw0rd!" + u, "temporary": False}]})
    set_agreement(a, "2026-01", "every-logon")
    r = a.post(f"{KC}/admin/realms/{R}/authentication/register-required-action",
               json={"providerId": "lrs-user-agreement", "name": "LRS User Agreement"})
    print("register", r.status_code, r.text[:200])
    ra = a.get(f"{KC}/admin/realms/{R}/authentication/required-actions/lrs-user-agreement").json()
    ra.update(enabled=True, defaultAction=True)
    print("enable", a.put(f"{KC}/admin/realms/{R}/authentication/required-actions/lrs-user-agreement", json=ra).status_code)
    print("events", a.put(f"{KC}/admin/realms/{R}/events/config", json={"eventsEnabled": True,
          "eventsListeners": ["jboss-logging", "lrs-webhook"], "adminEventsEnabled": True,
          "adminEventsDetailsEnabled": False}).status_code)

TEXT = ("Each time you log on you must accept this agreement.\nSecond line of para one.\n\n"
        "<script>alert(1)</script> & <b>bold</b> \"quotes\"\n\nThird paragraph.")

def set_agreement(a, version, mode, text=TEXT):
    rep = a.get(f"{KC}/admin/realms/{R}").json()
    attrs = rep.get("attributes", {}) or {}
    attrs.update({"lrsAgreementVersion": version, "lrsAgreementTitle": "LRS User Agreement <v>",
                  "lrsAgreementText": text, "lrsAgreementMode": mode})
    r = a.put(f"{KC}/admin/realms/{R}", json={"attributes": attrs}); r.raise_for_status()

def user(a, name):
    return a.get(f"{KC}/admin/realms/{R}/users", params={"username": name, "exact": "true"}).json()[0]

class BrowserSession(requests.Session):
    # Keycloak marks its cookies Secure even on http://127.0.0.1 (browsers treat loopback as a
    # secure context; requests does not), so clear the flag before each request.
    def request(self, *a, **k):
        for c in self.cookies: c.secure = False
        return super().request(*a, **k)

def new_session():
    return BrowserSession()

def follow(s, resp):
    while resp.status_code in (302, 303):
        loc = resp.headers["Location"]
        if loc.startswith(REDIRECT):
            return resp, dict(up.parse_qsl(up.urlparse(loc).query))
        resp = s.get(up.urljoin(resp.url, loc), allow_redirects=False)
    return resp, None

def form_action(page, form_id):
    m = re.search(r'<form[^>]*id="%s"[^>]*action="([^"]+)"' % form_id, page) or \
        re.search(r'<form[^>]*action="([^"]+)"[^>]*id="%s"' % form_id, page)
    return html.unescape(m.group(1)) if m else None

def login(s, username, choice=None, prompt=None):
    """Returns dict: agreement_page(bool), page html, final params, timings"""
    out = {}
    params = {"client_id": "lrs-portal", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid", "state": "st"}
    if prompt: params["prompt"] = prompt
    t0 = time.time()
    r = s.get(f"{KC}/realms/{R}/protocol/openid-connect/auth", params=params, allow_redirects=False)
    r, final = follow(s, r)
    if final is None and 'id="kc-form-login"' in r.text:
        act = form_action(r.text, "kc-form-login")
        r = s.post(act, data={"username": username, "password": "Passw0rd!" + username, "credentialId": ""}, allow_redirects=False)
        r, final = follow(s, r)
    out["login_secs"] = round(time.time() - t0, 3)
    out["agreement_page"] = final is None and 'id="lrs-agreement-form"' in r.text
    out["page"] = r.text if final is None else None
    if out["agreement_page"] and choice:
        act = form_action(r.text, "lrs-agreement-form")
        r = s.post(act, data={choice: choice}, allow_redirects=False)
        r, final = follow(s, r)
        if final is None:
            out["page_after"] = r.text
    out["final"] = final
    return out

"""HTTP hardening: security headers on every response, the session cookie, the trusted proxies.

Pages hold no inline script: behaviour comes from static files (`daiban.js`, `intake.js`) and
Flask-Admin's own, so the Content-Security-Policy can refuse inline script and `on*=` handlers;
Flask-Admin's script tags carry the per-request nonce all the same.

Two settings: `HTTPS` (the deployment is reached over HTTPS only) makes the session cookie
`Secure` under the `__Host-` prefix, turns on HSTS and makes the links the app writes https;
`PROXY_HOPS` is how many reverse proxies
in front of the app to trust for the client's address, scheme and host (0: trust none).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g
from werkzeug.middleware.proxy_fix import ProxyFix

# Inline styles stay allowed: Flask-Admin, select2 and pygal's SVG charts set `style=` and
# `<style>`, and styles cannot run code. Images and fonts may be `data:` URLs because Bootstrap's
# form controls draw their icons that way.
POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Chrome before its out-of-process PDF viewer (still in the Chromium-based browsers many offices
# use) shows a PDF through an <embed> that the PDF response's own object-src governs
# (crbug.com/271452); a PDF is no page that could embed anything else.
PDF_POLICY = {**POLICY, "object-src": "'self'"}
# Only features Chrome knows: it reports an unknown one on every page.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid",
    "magnetometer", "microphone", "midi", "payment", "serial", "usb",
))
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of the domain are not ours


def csp_nonce() -> str:
    """The current request's nonce for `<script nonce>`, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, pdf: bool = False) -> str:
    """The Content-Security-Policy header value for one response."""
    policy = PDF_POLICY if pdf else POLICY
    return "; ".join(f"{name} {value}" for name, value in policy.items()).format(nonce=nonce)


def _over_https(wsgi_app):
    """Treat every request as one that came over HTTPS, so that the links the app writes out (the
    rating QR code's) say https even when the proxy in front does not say X-Forwarded-Proto."""
    def app(environ, start_response):
        environ["wsgi.url_scheme"] = "https"
        return wsgi_app(environ, start_response)
    return app


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app` (pages, files, errors, redirects),
    secure the session cookie and trust `PROXY_HOPS` proxies."""
    https = bool(app.config.get("HTTPS"))
    if https:
        # `__Host-`: the browser keeps the cookie only if it is Secure, on path / and has no
        # Domain, so neither plain HTTP nor a sibling subdomain can plant or read it.
        app.config.update(SESSION_COOKIE_NAME="__Host-daiban_session", SESSION_COOKIE_SECURE=True,
                          SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,
                          PREFERRED_URL_SCHEME="https")
        app.wsgi_app = _over_https(app.wsgi_app)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops < 0:
        raise ValueError(f"PROXY_HOPS must be 0 or more, not {hops}")
    if hops:
        # The host is nginx's own Host header (deploy/nginx), never X-Forwarded-Host: nginx passes
        # that one on from the client unchanged, and links (the rating QR code) are built from it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        pdf = response.mimetype == "application/pdf"
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), pdf=pdf)
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        if https:
            headers["Strict-Transport-Security"] = HSTS
        return response

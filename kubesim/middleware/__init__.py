"""ASGI middlewares around the kubesim HTTP app: bearer-token auth (auth.py), fault injection (faults.py)
and the admin endpoint that switches faults and controllers at runtime (admin.py)."""

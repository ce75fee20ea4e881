"""kubesim's HTTP face: an ASGI application speaking the kube-apiserver REST protocol."""

"""Typed views of Argo CD's Application: the spec parts the engine needs and the `status` shape."""

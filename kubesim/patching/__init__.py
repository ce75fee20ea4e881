"""PATCH engines of kubesim: JSON patch, JSON merge patch and strategic merge patch, as kube-apiserver
applies them, plus the table of built-in list keys and strategies (patch_keys) server-side apply shares.
"""

from kubesim.patching.patch_keys import supports_strategic

__all__ = ["supports_strategic"]

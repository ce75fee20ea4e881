"""Server-side apply and managedFields for kubesim, faithful to kube-apiserver's field manager.

Entry points: `server_side_apply` (PATCH application/apply-patch+yaml), `record_update` (field
ownership of Create/Update/Patch writes) and `default_manager` (manager name from a User-Agent).
"""

from kubesim.apply.managed_fields import default_manager
from kubesim.apply.ownership import conflict_error
from kubesim.apply.server_side_apply import server_side_apply
from kubesim.apply.update import record_update

__all__ = ["conflict_error", "default_manager", "record_update", "server_side_apply"]

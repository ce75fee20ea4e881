"""Per-group defaulting of built-in kinds, as kube-apiserver decodes them (`pkg/apis/*/v1/defaults.go`);
entry point `kubesim.defaulting`."""

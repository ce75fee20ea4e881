"""ApplicationSets: generators (list, cluster, git directories/files, matrix, merge, post selector),
templates (`{{param}}` and a safe Go-template subset), and the reconcile that creates, updates and
deletes the generated Applications per `syncPolicy.applicationsSync`.

Modules: `params` (flattening, normalised names), `fasttemplate` and `gotemplate` (+ `gofuncs`)
(rendering), `render` (a template over a parameter set), `clusters` (cluster Secrets to generator
input), `generators` (+ `gitgen`, `combine`, `selector`), `plan` (desired vs existing Applications),
`store` (Kubernetes I/O), `controller` (one reconcile of one set), `gitrepo` (repository trees).
"""

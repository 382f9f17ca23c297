# SPDX-License-Identifier: Apache-2.0
"""RBAC check: the rules bound to ebb's service account grant every API call
`ebb up --kubernetes` makes, where it makes it, and nothing else.

CALLS below is the table of those calls. It MUST MATCH THE CODE: when ebb's
cluster mode makes a new call (src/executors/kubernetes/ and the cluster-mode
watches, status and event writers, leader election), add its row here; the
check then fails until deploy/kubernetes/ebb/20-rbac.yaml (or
21-leader-election.yaml) grants it, and a rule granting more fails it too.
"""
import manifests

WATCHED = "each watched namespace"
CLUSTER = "cluster-wide"
LEASE = "the Lease's namespace"

# (API group, resource, verbs, where). "" is the core group.
CALLS = [
    # src/cli/up_cluster.h lists the same calls; keep both in step.
    ("batch", "jobs", {"list", "watch", "create", "delete"}, WATCHED),
    ("", "pods", {"list", "watch"}, WATCHED),
    ("", "pods/log", {"get"}, WATCHED),
    ("keda.sh", "scaledjobs", {"list", "watch"}, WATCHED),
    ("keda.sh", "scaledjobs/status", {"patch"}, WATCHED),
    ("keda.sh", "triggerauthentications", {"list", "watch"}, WATCHED),
    # only with --cluster-object-namespace
    ("keda.sh", "clustertriggerauthentications", {"list", "watch"}, CLUSTER),
    ("", "secrets", {"list", "watch"}, WATCHED),
    ("", "events", {"create", "patch"}, WATCHED),
    ("coordination.k8s.io", "leases", {"get", "create", "update"}, LEASE),
]
READ_ONLY = {"get", "list", "watch"}
DEFAULT_LEASE_NAME = "ebb-controller"


def controller_deployment(docs):
    """The Deployment whose container runs `up --kubernetes`, or None."""
    for d in docs:
        if d.kind != "Deployment":
            continue
        for _, pod in manifests.pod_specs(d):
            for c in manifests.containers(pod):
                args = [str(a) for a in c.get("args") or []]
                if args[:1] == ["up"] and "kubernetes" in manifests.long_flags(
                        args):
                    return d, pod, c
    return None


def settings(docs):
    """What the Deployment says about scope: (service account, its namespace,
    watched namespaces or None for all, lease namespace, lease name, leader
    election on)."""
    found = controller_deployment(docs)
    if found is None:
        return None
    d, pod, c = found
    flags = manifests.long_flags([str(a) for a in c.get("args") or []])
    watched = {v for v in flags.get("namespace", []) if v} or None
    lease_ns = (flags.get("lease-namespace") or [None])[-1] or d.namespace
    lease_name = (flags.get("lease-name") or [None])[-1] or DEFAULT_LEASE_NAME
    elect = (flags.get("leader-elect") or ["true"])[-1] not in ("false", "0")
    return (pod.get("serviceAccountName", "default"), d.namespace, watched,
            lease_ns, lease_name, elect)


def grants(docs, sa, sa_ns):
    """(problems, grants): every rule bound to the service account, as
    (scope, group, resource, verb, resourceNames, where); scope is a namespace,
    or "*" for a ClusterRoleBinding."""
    problems, out = [], []
    roles = {(d.kind, d.namespace, d.name): d for d in docs
             if d.kind in ("Role", "ClusterRole")}
    for b in docs:
        if b.kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa
                   and s.get("namespace") == sa_ns
                   for s in b.obj.get("subjects") or []):
            continue
        ref = b.obj.get("roleRef") or {}
        ns = b.namespace if ref.get("kind") == "Role" else None
        role = roles.get((ref.get("kind"), ns, ref.get("name")))
        if role is None:
            problems.append(f"{b.where()}: roleRef {ref.get('kind')} "
                            f"{ref.get('name')} is not in the manifests")
            continue
        scope = "*" if b.kind == "ClusterRoleBinding" else b.namespace
        for i, rule in enumerate(role.obj.get("rules") or []):
            rw = f"{role.where()}: rules[{i}] (bound by {b.kind} {b.name})"
            if rule.get("nonResourceURLs"):
                problems.append(f"{rw}: nonResourceURLs: ebb calls none")
            for field in ("apiGroups", "resources", "verbs"):
                if "*" in (rule.get(field) or []):
                    problems.append(f"{rw}: a wildcard in {field}")
            for g in rule.get("apiGroups") or []:
                for r in rule.get("resources") or []:
                    for v in rule.get("verbs") or []:
                        out.append((scope, g, r, v, tuple(
                            rule.get("resourceNames") or ()), rw))
    return problems, out


def check_rbac(docs):
    s = settings(docs)
    if s is None:
        return ["no Deployment runs `ebb up --kubernetes`"]
    sa, sa_ns, watched, lease_ns, lease_name, elect = s
    problems, granted = grants(docs, sa, sa_ns)

    def needed_scopes(where):
        if where == WATCHED:
            return sorted(watched) if watched else ["*"]
        if where == CLUSTER:
            return ["*"]
        return [lease_ns] if elect else []

    # Every call is granted where it is made.
    for group, resource, verbs, where in CALLS:
        for scope in needed_scopes(where):
            for verb in sorted(verbs):
                ok = any(g == group and r == resource and v == verb and
                         sc in ("*", scope) and
                         (not names or (verb != "create" and
                                        lease_name in names))
                         for sc, g, r, v, names, _ in granted)
                if not ok:
                    gr = f"{group}/{resource}" if group else resource
                    at = "cluster-wide" if scope == "*" else f"in {scope}"
                    problems.append(f"missing grant: {verb} {gr} {at} (ebb "
                                    f"{sa_ns}/{sa} makes this call)")
    # Nothing else is granted.
    for scope, g, r, v, names, rw in granted:
        row = [c for c in CALLS if c[0] == g and c[1] == r and v in c[2]]
        gr = f"{g}/{r}" if g else r
        if g == "" and r == "secrets" and v not in READ_ONLY:
            problems.append(f"{rw}: grants {v} on Secrets: read-only only")
            continue
        if not row:
            problems.append(f"{rw}: grants {v} {gr}, which ebb never calls")
            continue
        where = row[0][3]
        if scope not in needed_scopes(where) and not (
                where == WATCHED and watched is None):
            at = "cluster-wide" if scope == "*" else f"in {scope}"
            problems.append(f"{rw}: grants {v} {gr} {at}; needed only "
                            f"{where} ({', '.join(needed_scopes(where)) or 'nowhere: leader election is off'})")
        if names and (v == "create" or lease_name not in names):
            problems.append(f"{rw}: resourceNames {list(names)} cannot "
                            f"authorise {v} of {lease_name}")
    return problems

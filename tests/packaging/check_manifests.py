#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the Kubernetes manifests under deploy/kubernetes/ without a cluster.

  check_manifests.py [--root DIR] [--ebb PATH] [--strict] [--kubectl PATH]
  check_manifests.py --self-test

What it checks (each problem is one line naming file:line, kind and name):
  * every document parses, with no key repeated in a mapping;
  * kustomization.yaml lists exactly the files of ebb/ (the CRDs and the demo
    are applied on their own), and, with --kubectl, `kubectl kustomize`
    renders exactly those objects (offline: kustomize needs no server);
  * every built-in kind deserialises into python3-kubernetes' model of it
    with no field lost, no type changed, every required field present (as
    check_v1job.py does for Jobs);
  * the CRDs: apiextensions.k8s.io/v1, KEDA's names and scopes, one storage
    version, a structural schema, the status subresource, printer columns;
  * ScaledJobs and TriggerAuthentications against their CRD's schema, the
    jobTargetRef against V1JobSpec, trigger metadata as strings, rabbitmq
    triggers, authenticationRefs and secretTargetRefs that resolve;
  * references: explicit namespaces that the manifests create, Secrets and
    keys that exist (or are created by hand, listed in check_objects.py),
    Service selectors and target ports;
  * RBAC (check_rbac.py): the rules bound to ebb's service account grant each
    call in its table of ebb's API calls, where ebb makes it, and nothing else;
    also for the all-namespaces variant (optional/all-namespaces.yaml);
  * the controller Deployment: with --ebb, each `ebb up` flag it passes is in
    `ebb up --help` (flags that cluster mode and leader election add are
    reported and skipped while missing, unless --strict); listen address,
    probes, data directory on a volume, POD_NAME, EBB_TOKEN, non-root.

Exit 0 when all pass, 1 with the problems, 2 when python3-kubernetes or
python3-yaml is missing (scripts/setup.sh installs both).
"""
import sys

# The checks import their modules beside them: write no __pycache__ into
# the source tree.
sys.dont_write_bytecode = True

import argparse
import copy
import os
import subprocess

try:
    import yaml  # noqa: F401
    import kubernetes  # noqa: F401
except ImportError as e:
    print(f"check_manifests: {e.name} is missing (apt-get install "
          "python3-kubernetes python3-yaml; scripts/setup.sh does)",
          file=sys.stderr)
    sys.exit(2)

import check_deployment  # noqa: E402
import check_objects  # noqa: E402
import check_rbac  # noqa: E402
import manifests  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ROOT = os.path.join(HERE, "..", "..", "deploy", "kubernetes")
INSTALL_DIR = "ebb"


def kustomization(root, docs):
    """(problems, install docs): the documents of the files it lists."""
    k = [d for d in docs if d.kind == "Kustomization"]
    if len(k) != 1 or k[0].path != "kustomization.yaml":
        return ["kustomization.yaml: missing at the root"], []
    listed = [os.path.normpath(r) for r in k[0].obj.get("resources") or []]
    problems = [f"kustomization.yaml: resource {r} does not exist"
                for r in listed if not os.path.exists(os.path.join(root, r))]
    files = [f for f in manifests.yaml_files(root)
             if f.startswith(INSTALL_DIR + os.sep)]
    problems += [f"kustomization.yaml: {f} is not listed" for f in files
                 if f not in listed]
    problems += [f"kustomization.yaml: {r} is outside {INSTALL_DIR}/ (CRDs "
                 "and the demo are applied on their own)" for r in listed
                 if not r.startswith(INSTALL_DIR + os.sep)]
    return problems, [d for d in docs if d.path in listed]


def kustomize_matches(root, kubectl, install):
    """`kubectl kustomize ROOT` renders exactly the listed objects."""
    out = subprocess.run([kubectl, "kustomize", root], capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        return [f"kubectl kustomize: {out.stderr.strip()}"]
    key = lambda o: (o.get("apiVersion"), o.get("kind"),  # noqa: E731
                     (o.get("metadata") or {}).get("namespace"),
                     (o.get("metadata") or {}).get("name"))
    rendered = sorted(key(o) for o in yaml.safe_load_all(out.stdout) if o)
    want = sorted(key(d.obj) for d in install)
    if rendered != want:
        return [f"kubectl kustomize renders {rendered}, the files hold {want}"]
    return []


def all_namespaces_variant(install, docs):
    """The install with optional/all-namespaces.yaml in place of the
    per-namespace RoleBindings and without --namespace flags."""
    extra = [d for d in docs if d.path.startswith("optional" + os.sep)]
    variant = []
    for d in copy.deepcopy(install):
        if d.kind == "RoleBinding" and (d.obj.get("roleRef") or {}).get(
                "kind") == "ClusterRole":
            continue
        found = check_rbac.controller_deployment([d])
        if found:
            c = found[2]
            c["args"] = [a for a in c["args"] if not
                         str(a).startswith("--namespace")]
        variant.append(d)
    return variant + extra


def run_checks(root, ebb=None, strict=False, kubectl=None):
    """(problems, notes, document count)."""
    docs, problems = manifests.load(root)
    notes = []
    k_problems, install = kustomization(root, docs)
    problems += k_problems
    if kubectl and install:
        problems += kustomize_matches(root, kubectl, install)
    elif not kubectl:
        notes.append("kustomize: SKIPPED, no kubectl given (--kubectl PATH)")
    problems += check_objects.check_builtin(docs)
    problems += check_objects.check_crds(docs)
    problems += check_objects.check_custom_resources(docs)
    problems += check_objects.check_references(docs)
    problems += check_rbac.check_rbac(install)
    problems += [f"all-namespaces variant: {p}" for p in
                 check_rbac.check_rbac(all_namespaces_variant(install, docs))]
    problems += check_deployment.check_pod(install)
    flag_problems, flag_notes = check_deployment.check_flags(install, ebb,
                                                             strict)
    return problems + flag_problems, notes + flag_notes, len(docs)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=DEFAULT_ROOT)
    p.add_argument("--ebb", help="the ebb binary, to check the flags")
    p.add_argument("--strict", action="store_true",
                   help="fail on planned flags the binary lacks")
    p.add_argument("--kubectl", help="kubectl, to render the kustomization")
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args(argv[1:])
    if a.self_test:
        import self_test
        return self_test.run(os.path.normpath(a.root), a.kubectl)
    problems, notes, count = run_checks(os.path.normpath(a.root), a.ebb,
                                        a.strict, a.kubectl)
    for n in notes:
        print(f"check_manifests: {n}")
    for line in problems:
        print(line)
    if problems:
        print(f"check_manifests: {len(problems)} problem(s)")
        return 1
    print(f"check_manifests: {count} documents under "
          f"{os.path.normpath(a.root)}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

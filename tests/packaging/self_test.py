# SPDX-License-Identifier: Apache-2.0
"""check_manifests.py --self-test: each check fails on a manifest broken the
way it is meant to catch, and passes on the real ones.

Each case copies deploy/kubernetes/ to a temporary directory, breaks one
thing (an edit of the YAML text, or of the loaded object), runs the checks,
and expects a problem containing a given phrase.
"""
import os
import shutil
import stat
import tempfile

import check_manifests

DEPLOYMENT = "ebb/40-deployment.yaml"
RBAC = "ebb/20-rbac.yaml"


def _edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise AssertionError(f"self-test: {old!r} not in {path}")
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


# (name, file, old text, new text, phrase expected among the problems)
CASES = [
    ("duplicate key", DEPLOYMENT, "          env:\n",
     "          env: []\n          env:\n", "duplicate key 'env'"),
    ("misplaced field", DEPLOYMENT, "          imagePullPolicy: IfNotPresent",
     "          imagePullPolicy: IfNotPresent\n          imagePulPolicy: x",
     "imagePulPolicy: lost"),
    ("wrong type", DEPLOYMENT, "containerPort: 8080",
     "containerPort: \"8080\"", "became"),
    ("missing required field", "ebb/50-service.yaml",
     "    - name: http\n      port: 8080\n", "    - name: http\n",
     "not a valid V1Service"),
    ("unlisted install file", "ebb/60-extra.yaml", None,
     "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n"
     "  namespace: ebb-system\n", "60-extra.yaml is not listed"),
    ("wildcard verb", RBAC, 'verbs: ["list", "watch", "create", '
     '"delete"]', 'verbs: ["*"]', "a wildcard in verbs"),
    ("missing verb", RBAC, '"create", "delete"]', '"create"]',
     "missing grant: delete batch/jobs in stable-diff"),
    ("secret write", RBAC, 'resources: ["secrets"]\n    verbs: ["list", '
     '"watch"]', 'resources: ["secrets"]\n    verbs: ["list", '
     '"watch", "update"]', "on Secrets: read-only only"),
    ("call ebb never makes", RBAC, 'resources: ["pods/log"]',
     'resources: ["pods/log", "pods/exec"]', "grants get pods/exec"),
    ("namespace without RoleBinding", DEPLOYMENT,
     "- --namespace=stable-diff",
     "- --namespace=stable-diff\n            - --namespace=other",
     "missing grant: list batch/jobs in other"),
    ("lease name the Role does not name", DEPLOYMENT,
     "--lease-name=ebb-controller", "--lease-name=other",
     "missing grant: get coordination.k8s.io/leases in ebb-system"),
    ("loopback listen", DEPLOYMENT, "--listen=0.0.0.0:8080",
     "--listen=127.0.0.1:8080", "cannot reach a loopback"),
    ("probe on an unknown path", DEPLOYMENT, "path: /readyz",
     "path: /ready", "readinessProbe must GET"),
    ("data dir off the volumes", DEPLOYMENT, "--data-dir=/var/lib/ebb",
     "--data-dir=/data", "--data-dir /data is not on a volume"),
    ("missing Secret", "demo/30-scaledjob.yaml", "name: minio\n",
     "name: minioo\n", "no Secret stable-diff/minioo"),
    ("trigger value not a string", "demo/30-scaledjob.yaml",
     "        value: '1'\n        activationValue",
     "        value: 1\n        activationValue", "must be a string"),
    ("jobTargetRef field misplaced", "demo/30-scaledjob.yaml",
     "    backoffLimit: 4", "    backofLimit: 4", "backofLimit: lost"),
    ("CRD without status subresource", "crds/keda.sh_scaledjobs.yaml",
     "      subresources:\n        status: {}\n", "",
     "no status subresource"),
    ("untyped CRD schema node", "crds/keda.sh_scaledjobs.yaml",
     "            kind:\n              type: string\n",
     "            kind: {}\n", "schema node .kind has no type"),
    ("object without namespace", "demo/10-rabbitmq.yaml",
     "  name: rabbitmq\n  namespace: stable-diff\n  labels:",
     "  name: rabbitmq\n  labels:", "no metadata.namespace"),
    ("Service selecting nothing", "ebb/50-service.yaml",
     "    app.kubernetes.io/component: controller\n  ports:",
     "    app.kubernetes.io/component: other\n  ports:",
     "selects no pod"),
]

FAKE_EBB = """#!/bin/sh
echo "Options:"
echo "  --listen TEXT  --insecure-listen  --data-dir TEXT  --store TEXT"
"""


def _run_case(root, tmp, case):
    name, rel, old, new, phrase = case
    work = os.path.join(tmp, "root")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root, work)
    path = os.path.join(work, rel)
    if old is None:
        with open(path, "w") as f:
            f.write(new)
    else:
        _edit(path, old, new)
    problems, _, _ = check_manifests.run_checks(work)
    if any(phrase in p for p in problems):
        return None
    return f"{name}: expected a problem with {phrase!r}, got {problems}"


def _flag_cases(root, tmp):
    """A flag the binary lacks fails; a planned one is skipped unless
    strict."""
    fake = os.path.join(tmp, "ebb")
    with open(fake, "w") as f:
        f.write(FAKE_EBB)
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)
    failures = []
    problems, notes, _ = check_manifests.run_checks(root, fake)
    if not any("no flag --no-drain-wait" in p for p in problems):
        failures.append(f"unknown flag: not reported: {problems}")
    if any("--kubernetes" in p for p in problems) or not any(
            "--kubernetes is not in" in n for n in notes):
        failures.append(f"planned flag: not skipped: {problems} {notes}")
    problems, _, _ = check_manifests.run_checks(root, fake, strict=True)
    if not any("no flag --kubernetes" in p for p in problems):
        failures.append(f"planned flag with --strict: passed: {problems}")
    return failures


def run(root, kubectl=None):
    failures = []
    problems, _, _ = check_manifests.run_checks(root, kubectl=kubectl)
    if problems:
        failures.append(f"the real manifests fail: {problems}")
    with tempfile.TemporaryDirectory(prefix="ebb-manifests-") as tmp:
        for case in CASES:
            failure = _run_case(root, tmp, case)
            if failure:
                failures.append(failure)
        failures += _flag_cases(root, tmp)
    for f in failures:
        print(f"check_manifests: self-test FAILED: {f}")
    if not failures:
        print(f"check_manifests: self-test passed ({len(CASES) + 3} broken "
              "manifests caught)")
    return 1 if failures else 0

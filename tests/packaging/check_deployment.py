# SPDX-License-Identifier: Apache-2.0
"""The controller Deployment: its `ebb up` flags exist in the binary, and its
pod is set up the way those flags need (listen address and probes, the data
directory on a volume under a read-only root, the leader-election identity,
the API token from a Secret, non-root).
"""
import re
import subprocess

import check_rbac
import manifests

# Flags the manifests use that cluster mode and leader election add (not
# merged when this check was written). While the binary lacks one, the flag
# check reports it and passes, unless strict; the lead makes it strict once
# both are merged.
PLANNED_FLAGS = {"kubernetes", "namespace", "kubeconfig", "context",
                 "leader-elect", "lease-name", "lease-namespace"}
HEALTH_PATHS = {"/healthz", "/readyz"}


def help_flags(ebb):
    """The long flags `ebb up --help` lists."""
    out = subprocess.run([ebb, "up", "--help"], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{ebb} up --help exited {out.returncode}: "
                           f"{out.stderr.strip()}")
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", out.stdout))


def check_flags(docs, ebb, strict):
    """(problems, notes): each flag of the Deployment's `ebb up` against the
    binary's help."""
    found = check_rbac.controller_deployment(docs)
    if found is None:
        return ["no Deployment runs `ebb up --kubernetes`"], []
    if not ebb:
        return [], ["flags: SKIPPED, no ebb binary given (--ebb PATH)"]
    d, _, c = found
    known = help_flags(ebb)
    problems, notes = [], []
    for flag in manifests.long_flags([str(a) for a in c.get("args") or []]):
        if flag in known:
            continue
        if flag in PLANNED_FLAGS and not strict:
            notes.append(f"flags: --{flag} is not in `{ebb} up --help` yet "
                         "(planned: cluster mode / leader election); "
                         "SKIPPED until merged (--strict fails it)")
        else:
            problems.append(f"{d.where()}: `ebb up` has no flag --{flag}")
    return problems, notes


def _port_of(value):
    host, _, port = str(value).rpartition(":")
    return host.strip("[]"), int(port) if port.isdigit() else None


def check_pod(docs):
    found = check_rbac.controller_deployment(docs)
    if found is None:
        return ["no Deployment runs `ebb up --kubernetes`"]
    d, pod, c = found
    w = f"{d.where()}: container {c.get('name')}"
    flags = manifests.long_flags([str(a) for a in c.get("args") or []])
    problems = []
    host, port = _port_of((flags.get("listen") or ["127.0.0.1:8080"])[-1])
    if host in ("127.0.0.1", "localhost", "::1"):
        problems.append(f"{w}: --listen {host}: the Service and the probes "
                        "cannot reach a loopback address")
    elif "insecure-listen" not in flags:
        problems.append(f"{w}: --listen {host} needs --insecure-listen")
    ports = {p.get("name"): p.get("containerPort") for p in
             c.get("ports") or []}
    if port not in ports.values():
        problems.append(f"{w}: no containerPort {port} (--listen)")
    for probe in ("livenessProbe", "readinessProbe"):
        get = (c.get(probe) or {}).get("httpGet") or {}
        if get.get("path") not in HEALTH_PATHS:
            problems.append(f"{w}: {probe} must GET one of {HEALTH_PATHS}")
        target = get.get("port")
        if ports.get(target, target) != port:
            problems.append(f"{w}: {probe} port {target} is not --listen's "
                            f"{port}")
    sc = dict(pod.get("securityContext") or {}, **(c.get("securityContext")
                                                   or {}))
    if not sc.get("runAsNonRoot") or sc.get("runAsUser", 0) == 0:
        problems.append(f"{w}: must run as non-root (runAsNonRoot, a "
                        "runAsUser other than 0)")
    if sc.get("readOnlyRootFilesystem"):
        mounts = [m.get("mountPath") for m in c.get("volumeMounts") or []]
        for flag in ("data-dir",):
            path = (flags.get(flag) or [None])[-1]
            if not path or not any(path == m or path.startswith(m + "/")
                                   for m in mounts):
                problems.append(f"{w}: --{flag} {path} is not on a volume "
                                "(the root file system is read-only)")
    env = {e.get("name"): e for e in c.get("env") or []}
    s = check_rbac.settings(docs)
    if s and s[5]:
        field = ((env.get("POD_NAME") or {}).get("valueFrom") or {}).get(
            "fieldRef") or {}
        if field.get("fieldPath") != "metadata.name":
            problems.append(f"{w}: leader election needs env POD_NAME from "
                            "fieldRef metadata.name")
    if not ((env.get("EBB_TOKEN") or {}).get("valueFrom") or {}).get(
            "secretKeyRef"):
        problems.append(f"{w}: EBB_TOKEN must come from a Secret (every "
                        "replica the same token)")
    return problems

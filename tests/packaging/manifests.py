# SPDX-License-Identifier: Apache-2.0
"""Loads the YAML manifests under deploy/kubernetes/ for the checks.

Every document becomes a Doc (file, line, object). The loader is PyYAML's safe
loader, stricter in one way: a key repeated in one mapping is an error (PyYAML
and kubectl keep the last one silently, so a second `env:` would drop the
first). Helpers name objects and find the pod templates inside them.
"""
import os
from dataclasses import dataclass

import yaml

# Kinds without a namespace (built-in; custom ones take their CRD's scope).
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                        "CustomResourceDefinition"}


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping_without_duplicates(loader, node):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _mapping_without_duplicates)


@dataclass
class Doc:
    path: str  # relative to the manifests' root
    line: int  # of the document's first node, 1-based
    obj: dict

    @property
    def kind(self):
        return self.obj.get("kind", "")

    @property
    def api_version(self):
        return self.obj.get("apiVersion", "")

    @property
    def name(self):
        return (self.obj.get("metadata") or {}).get("name", "")

    @property
    def namespace(self):
        return (self.obj.get("metadata") or {}).get("namespace")

    def where(self):
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.path}:{self.line}: {self.kind} {ns}{self.name}"


def yaml_files(root):
    """Every .yaml/.yml file under root, sorted, as paths relative to it."""
    found = []
    for directory, _, files in os.walk(root):
        for f in files:
            if f.endswith((".yaml", ".yml")):
                found.append(os.path.relpath(os.path.join(directory, f), root))
    return sorted(found)


def load(root):
    """(docs, problems): every non-empty document under root; a file that does
    not parse is one problem naming the file and line."""
    docs, problems = [], []
    for rel in yaml_files(root):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        loader = _StrictLoader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    continue
                obj = loader.construct_document(node)
                if obj is None:
                    continue
                if not isinstance(obj, dict):
                    problems.append(f"{rel}:{node.start_mark.line + 1}: a "
                                    "document that is not a mapping")
                    continue
                docs.append(Doc(rel, node.start_mark.line + 1, obj))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problems.append(f"{rel}{line}: YAML: "
                            f"{getattr(e, 'problem', None) or e}")
        finally:
            loader.dispose()
    return docs, problems


def pod_specs(doc):
    """(path, pod spec) for each pod template in doc: Deployments, Jobs, and
    the jobTargetRef of a ScaledJob."""
    spec = doc.obj.get("spec") or {}
    if doc.kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield "spec.template.spec", (spec.get("template") or {}).get("spec") or {}
    elif doc.kind == "ScaledJob":
        template = (spec.get("jobTargetRef") or {}).get("template") or {}
        yield "spec.jobTargetRef.template.spec", template.get("spec") or {}


def containers(pod_spec):
    return list(pod_spec.get("initContainers") or []) + list(
        pod_spec.get("containers") or [])


def long_flags(args):
    """{flag: [values]} of the `--flag=value` / `--flag value` / `--flag`
    arguments (a value is None when the next argument is another flag)."""
    flags = {}
    i = 0
    while i < len(args):
        a = str(args[i])
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if not eq:
                nxt = args[i + 1] if i + 1 < len(args) else None
                if nxt is not None and not str(nxt).startswith("-"):
                    value = str(nxt)
                    i += 1
                else:
                    value = None
            flags.setdefault(name, []).append(value)
        i += 1
    return flags

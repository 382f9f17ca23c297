# SPDX-License-Identifier: Apache-2.0
"""The runtime-library check of check_dockerfile.py: which Debian packages
hold the shared libraries a binary links (ldd, dpkg -S), and which packages
an `apt-get install --no-install-recommends` can bring (apt-cache depends).
Results are cached per process: the self-test runs the check many times.
"""
import functools
import os
import re
import shutil
import subprocess

# Installed for their files, not for a library the binaries link.
DATA_PACKAGES = {"ca-certificates"}


@functools.lru_cache(maxsize=None)
def _apt_closure_of(packages):
    return _apt_closure(set(packages))


def _apt_closure(packages):
    """Every package name that `apt-get install --no-install-recommends
    PACKAGES` can install (recursive Depends and Pre-Depends, every
    alternative), plus the packages themselves; None without apt-cache."""
    if not shutil.which("apt-cache"):
        return None
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends",
         "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
         "--no-enhances"] + sorted(packages),
        capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"apt-cache depends: {out.stderr.strip()}")
    return {ln.strip() for ln in out.stdout.splitlines()
            if ln and not ln[0].isspace() and not ln.startswith("<")}


def _variants(path):
    """The names dpkg may know `path` by (merged /usr, symbolic links)."""
    out = {path, os.path.realpath(path)}
    for p in list(out):
        if p.startswith("/usr/lib/"):
            out.add(p[len("/usr"):])
        elif p.startswith("/lib/"):
            out.add("/usr" + p)
    return out


@functools.lru_cache(maxsize=None)
def _owners_of(binary):
    return owners(shared_libraries(binary).values())


def owners(paths):
    """{path: the Debian package that holds it} for the paths dpkg knows (one
    `dpkg -S` for all: each call reads dpkg's whole database)."""
    variants = {p: _variants(p) for p in paths}
    every = sorted(set().union(*variants.values())) if variants else []
    out = subprocess.run(["dpkg", "-S"] + every, capture_output=True,
                         text=True)
    package_of = {}
    for ln in out.stdout.splitlines():
        pkgs, _, path = ln.partition(": ")
        package_of[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    return {p: next((package_of[v] for v in sorted(vs) if v in package_of),
                    None) for p, vs in variants.items()}


@functools.lru_cache(maxsize=None)
def shared_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"ldd {binary}: {out.stderr.strip()}")
    libs = {}
    for ln in out.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", ln)
        if m:
            libs[m.group(1)] = m.group(2)
        elif "not found" in ln:
            raise RuntimeError(f"ldd {binary}: {ln.strip()}")
    return libs


def check_packages(df, binaries, targets):
    """(problems, notes): for each stage in `targets`, the packages it
    installs against the libraries of the binaries it ships."""
    if not (shutil.which("apt-cache") and shutil.which("dpkg")):
        return [], ["runtime libraries: SKIPPED (no apt-cache/dpkg)"]
    problems, notes = [], []
    base = _apt_closure_of(frozenset({"apt"}))
    for s in df.stages:
        if s.name not in targets:
            continue
        wanted = df.apt_packages(s)
        try:
            closure = _apt_closure_of(frozenset(wanted)) | base
        except RuntimeError as e:
            problems.append(f"Dockerfile: stage {s.name}: {e}")
            continue
        if s.name == "controller":
            torch = sorted(p for p in closure if p.startswith("libtorch"))
            if torch:
                problems.append(f"Dockerfile: stage controller installs "
                                f"libtorch ({', '.join(torch)})")
        used = set()
        for binary in binaries.get(s.name, []):
            libs = shared_libraries(binary)
            package_of = _owners_of(binary)
            used |= set(package_of.values())
            for soname, path in sorted(libs.items()):
                pkg = package_of[path]
                if pkg is None:
                    notes.append(f"{s.name}: {os.path.basename(binary)} "
                                 f"links {path}, which no package holds")
                elif pkg not in closure:
                    problems.append(
                        f"Dockerfile: stage {s.name}: "
                        f"{os.path.basename(binary)} needs {soname} "
                        f"(package {pkg}), which the stage does not install")
        if binaries.get(s.name):
            for pkg in sorted(wanted - used - DATA_PACKAGES):
                problems.append(f"Dockerfile: stage {s.name} installs {pkg}, "
                                "whose libraries no binary it ships links")
    return problems, notes

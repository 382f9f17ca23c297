#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the Dockerfile without a container engine (none on the project's
machines; Debian 12 has no hadolint package).

  check_dockerfile.py [--source DIR] [--build-dir DIR]
                      [--bin STAGE=PATH]... [--self-test]

  * stages: build stages FROM debian:12, the targets `controller` and `worker`
    FROM debian:12-slim; each ends as uid 65532 with ebb as the exec-form
    entrypoint;
  * apt: every `apt-get install` has --no-install-recommends, an `apt-get
    update` before it and `rm -rf /var/lib/apt/lists/*` after it in the same
    RUN; the package names exist (apt-cache);
  * runtime libraries: for each --bin STAGE=PATH (a built binary that the
    stage ships), every shared library `ldd` resolves belongs (dpkg -S) to a
    package the stage installs, or to one of their dependencies, or to
    debian:12-slim (apt and its dependencies); and each package the stage
    names holds a library one of its binaries links (ca-certificates aside):
    only the runtime libraries needed; the controller installs no libtorch;
  * install layout: with --build-dir, `cmake --install` of that tree (into a
    temporary DESTDIR, prefix /usr/local) holds every path the runtime stages
    COPY --from a build stage;
  * the build: the flags given to scripts/setup.sh are ones it accepts, the
    -D options given to cmake are options of CMakeLists.txt;
  * .dockerignore leaves every git-tracked file in the context and the build
    trees, node_modules and .git out.

Exit 0 when all pass, 1 with one line per problem.
"""
import sys

# The checks import their modules beside them: write no __pycache__ into
# the source tree.
sys.dont_write_bytecode = True

import argparse
import functools
import os
import re
import shutil
import subprocess
import tempfile

import dockerfile
import runtime_packages

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
RUNTIME_TARGETS = {"controller", "worker"}
USER = "65532"
ENTRYPOINT = ["/usr/local/bin/ebb"]
INSTALL_ROOT = "/install"  # DESTDIR of the build stages
# Targets defined only when libtorch is built (src/cli/CMakeLists.txt).
TORCH_ONLY_TARGETS = {"ebb-diffusion"}
MUST_IGNORE = [".git/config", "build/CMakeCache.txt", "build-x/a.o",
               "node_modules/x/package.json"]


def check_stages(df):
    problems = []
    names = {s.name for s in df.stages}
    for target in sorted(RUNTIME_TARGETS - names):
        problems.append(f"Dockerfile: no stage `{target}` (docker build "
                        f"--target {target})")
    for s in df.stages:
        base = df.base_image(s)
        want = "debian:12-slim" if df.is_runtime(s) else "debian:12"
        if base != want:
            problems.append(f"Dockerfile:{s.line}: stage {s.name} is based "
                            f"on {base}, not {want}")
    for s in df.stages:
        if s.name not in RUNTIME_TARGETS:
            continue
        users = [a for i, a in df.chain_instructions(s) if i == "USER"]
        if not users or users[-1].split(":")[0] != USER:
            problems.append(f"Dockerfile: stage {s.name} must end as USER "
                            f"{USER} (not root)")
        entry = [a for i, a in df.chain_instructions(s) if i == "ENTRYPOINT"]
        if not entry or dockerfile.exec_form(entry[-1]) != ENTRYPOINT:
            problems.append(f"Dockerfile: stage {s.name}: ENTRYPOINT must be "
                            f"the exec form {ENTRYPOINT}")
    return problems


def check_apt(df):
    problems = []
    for s in df.stages:
        for line, args in s.runs():
            if "apt-get install" not in args:
                continue
            w = f"Dockerfile:{line}"
            if "--no-install-recommends" not in args:
                problems.append(f"{w}: apt-get install without "
                                "--no-install-recommends")
            if args.find("apt-get update") < 0 or args.find(
                    "apt-get update") > args.find("apt-get install"):
                problems.append(f"{w}: apt-get install without apt-get "
                                "update before it in the same RUN")
            if "rm -rf /var/lib/apt/lists/*" not in args:
                problems.append(f"{w}: apt-get install without rm -rf "
                                "/var/lib/apt/lists/* in the same RUN")
    return problems


@functools.lru_cache(maxsize=None)
def installed_paths(build_dir):
    """Every path `cmake --install BUILD_DIR --prefix /usr/local` creates,
    relative to the DESTDIR; or the install's error message (a str)."""
    with tempfile.TemporaryDirectory(prefix="ebb-dockerfile-") as tmp:
        env = dict(os.environ, DESTDIR=tmp)
        out = subprocess.run(["cmake", "--install", build_dir, "--prefix",
                              "/usr/local"], env=env, capture_output=True,
                             text=True, timeout=300)
        if out.returncode != 0:
            return f"cmake --install {build_dir}: {out.stderr.strip()}"
        paths = set()
        for directory, dirs, files in os.walk(tmp):
            for name in dirs + files:
                paths.add(os.path.relpath(os.path.join(directory, name), tmp))
        return frozenset(paths)


def check_install_layout(df, build_dir):
    """Every COPY --from=<build stage> source exists in `cmake --install`."""
    installed = installed_paths(build_dir)
    if isinstance(installed, str):
        return [installed]
    problems = []
    for line, sources in df.copies_from_build():
        for src in sources:
            if not src.startswith(INSTALL_ROOT + "/"):
                problems.append(f"Dockerfile:{line}: {src} is not under "
                                f"{INSTALL_ROOT}")
                continue
            rel = src[len(INSTALL_ROOT):].strip("/")
            if rel not in installed:
                problems.append(f"Dockerfile:{line}: {src}: `cmake "
                                "--install` puts nothing there")
    return problems


def installed_targets(source):
    """The targets install(TARGETS ...) names in the CMakeLists.txt files."""
    names = set()
    for directory, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build")) and
                   d != "node_modules"]
        if "CMakeLists.txt" in files:
            with open(os.path.join(directory, "CMakeLists.txt")) as f:
                for m in re.finditer(r"install\(TARGETS\s+([^)]*?)\s+"
                                     r"(?:RUNTIME|LIBRARY|ARCHIVE|DESTINATION)",
                                     f.read()):
                    names |= set(m.group(1).split())
    return names


def check_build_commands(df, source):
    problems = []
    installed = installed_targets(source)
    with open(os.path.join(source, "scripts", "setup.sh")) as f:
        accepted = set(re.findall(r"^\s*(--[a-z-]+)\)", f.read(), re.M))
    with open(os.path.join(source, "CMakeLists.txt")) as f:
        cmake = f.read()
    options = set(re.findall(r"option\((\w+)", cmake)) | set(
        re.findall(r"set\((\w+) [^)]*CACHE", cmake)) | {
            "CMAKE_BUILD_TYPE"}
    for s in df.stages:
        for line, args in s.runs():
            for m in re.finditer(r"setup\.sh((?:\s+--[a-z-]+)*)", args):
                for flag in m.group(1).split():
                    if flag not in accepted:
                        problems.append(f"Dockerfile:{line}: setup.sh does "
                                        f"not accept {flag}")
            if "cmake -S" in args:
                for opt in re.findall(r"-D(\w+)=", args):
                    if opt not in options:
                        problems.append(f"Dockerfile:{line}: -D{opt} is not "
                                        "an option of CMakeLists.txt")
                m = re.search(r"cmake --build \S+ --target((?:\s+[\w-]+)+)",
                              args)
                built = set(m.group(1).split()) if m else None
                want = installed - (set() if "-DEBB_WITH_TORCH=ON" in args
                                    else TORCH_ONLY_TARGETS)
                if built is not None and not want <= built:
                    problems.append(
                        f"Dockerfile:{line}: `cmake --install` installs "
                        f"{', '.join(sorted(want - built))}, which the "
                        "build does not build")
    return problems


def tracked_files(source):
    """The files git tracks in `source`, or None without git."""
    if not shutil.which("git") or not os.path.exists(
            os.path.join(source, ".git")):
        return None
    out = subprocess.run(["git", "-C", source, "ls-files"],
                         capture_output=True, text=True)
    return out.stdout.splitlines() if out.returncode == 0 else None


def check_dockerignore(text, tracked):
    """(problems, notes) of .dockerignore's `text` (None: no file) for the
    `tracked` files (None: unknown)."""
    if text is None:
        return ["no .dockerignore: build trees would enter the context"], []
    ignore = dockerfile.IgnoreRules(text)
    problems = [f".dockerignore: {p} is not left out" for p in MUST_IGNORE
                if not ignore.excluded(p)]
    if tracked is None:
        return problems, [".dockerignore: tracked files SKIPPED (no git)"]
    problems += [f".dockerignore: leaves out the tracked file {p}"
                 for p in tracked if ignore.excluded(p)]
    return problems, []


def read_dockerignore(source):
    path = os.path.join(source, ".dockerignore")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def run(source, build_dir, binaries, text=None):
    """(problems, notes)."""
    if text is None:
        with open(os.path.join(source, "Dockerfile")) as f:
            text = f.read()
    df = dockerfile.Dockerfile(text, RUNTIME_TARGETS)
    problems = check_stages(df) + check_apt(df) + check_build_commands(
        df, source)
    p, notes = runtime_packages.check_packages(df, binaries,
                                               RUNTIME_TARGETS)
    problems += p
    if build_dir:
        problems += check_install_layout(df, build_dir)
    else:
        notes.append("install layout: SKIPPED, no --build-dir")
    p, n = check_dockerignore(read_dockerignore(source),
                              tracked_files(source))
    if shutil.which("hadolint"):
        out = subprocess.run(["hadolint", "-"], input=text,
                             capture_output=True, text=True)
        problems += [f"hadolint: {ln}" for ln in out.stdout.splitlines()]
    else:
        n.append("hadolint: not installed (Debian 12 has no package)")
    return problems + p, notes + n


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--build-dir")
    ap.add_argument("--bin", action="append", default=[],
                    help="STAGE=PATH: a binary the stage ships")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv[1:])
    binaries = {}
    for spec in a.bin:
        stage, _, path = spec.partition("=")
        binaries.setdefault(stage, []).append(path)
    if a.self_test:
        import dockerfile_self_test
        return dockerfile_self_test.run(a.source, binaries, a.build_dir)
    problems, notes = run(a.source, a.build_dir, binaries)
    for n in notes:
        print(f"check_dockerfile: {n}")
    for p in problems:
        print(p)
    if problems:
        print(f"check_dockerfile: {len(problems)} problem(s)")
        return 1
    print("check_dockerfile: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

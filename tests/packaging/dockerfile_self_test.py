# SPDX-License-Identifier: Apache-2.0
"""check_dockerfile.py --self-test: each check fails on a Dockerfile (or
.dockerignore) broken the way it is meant to catch, and passes on the real
ones. The runtime-library cases need apt-cache/dpkg and the binaries given
with --bin; the install-layout case needs --build-dir."""
import os

import check_dockerfile

# (name, old text, new text, phrase expected among the problems, needs)
CASES = [
    ("recommends", "apt-get install -y --no-install-recommends \\\n"
     "      ca-certificates", "apt-get install -y \\\n      ca-certificates",
     "without --no-install-recommends", None),
    ("apt lists kept", " && rm -rf /var/lib/apt/lists/* \\\n && groupadd",
     " && groupadd", "without rm -rf /var/lib/apt/lists/*", None),
    ("root user", "EXPOSE 8080", "EXPOSE 8080\nUSER root",
     "stage controller must end as USER 65532", None),
    ("shell-form entrypoint", 'CMD ["worker"]',
     'CMD ["worker"]\nENTRYPOINT ebb', "ENTRYPOINT must be the exec form",
     None),
    ("runtime on full Debian", "ARG DEBIAN_SLIM=debian:12-slim",
     "ARG DEBIAN_SLIM=debian:12", "not debian:12-slim", None),
    ("unknown setup.sh flag", "setup.sh --build-only --no-torch",
     "setup.sh --build-only --no-tests", "does not accept --no-tests", None),
    ("unknown cmake option", "-DEBB_WITH_TORCH=OFF",
     "-DEBB_WITH_TORCH=OFF -DEBB_NO_SUCH=1", "-DEBB_NO_SUCH is not", None),
    ("installed target not built", "--target ebb ebb-supervise ebb-diffusion",
     "--target ebb ebb-supervise", "installs ebb-diffusion, which the build",
     None),
    ("libtorch in the controller", "      libyaml-cpp0.7 \\\n",
     "      libyaml-cpp0.7 libtorch1.13 \\\n",
     "stage controller installs libtorch", "apt"),
    ("unneeded package", "      libyaml-cpp0.7 \\\n",
     "      libyaml-cpp0.7 libxml2 \\\n",
     "installs libxml2, whose libraries no binary", "bin"),
    ("missing runtime library", " libcurl4 ", " ",
     "(package libcurl4), which the stage does not install", "bin"),
    ("missing libtorch", "      libtorch1.13 libopenblas0-openmp \\\n",
     "      libopenblas0-openmp \\\n", "which the stage does not install",
     "worker-bin"),
    ("COPY of a path cmake does not install",
     "/install/usr/local/share/ebb/web/ /usr",
     "/install/usr/local/share/ebb/webui/ /usr",
     "`cmake --install` puts nothing there", "build"),
]
IGNORE_CASES = [
    ("tracked file left out", ".git\nbuild*\nnode_modules\ndocs\n",
     ["docs/api.md"], "leaves out the tracked file docs/api.md"),
    ("build tree kept", ".git\nnode_modules\n", [],
     "build/CMakeCache.txt is not left out"),
]


def run(source, binaries, build_dir=None):
    with open(os.path.join(source, "Dockerfile")) as f:
        real = f.read()
    failures, skipped = [], []
    problems, _ = check_dockerfile.run(source, build_dir, binaries)
    if problems:
        failures.append(f"the real Dockerfile fails: {problems}")
    for name, old, new, phrase, needs in CASES:
        if (needs == "bin" and not binaries.get("controller")) or (
                needs == "worker-bin" and not binaries.get("worker")) or (
                needs == "build" and not build_dir):
            skipped.append(name)
            continue
        if old not in real:
            failures.append(f"{name}: {old!r} is not in the Dockerfile")
            continue
        problems, notes = check_dockerfile.run(
            source, build_dir, binaries, text=real.replace(old, new, 1))
        if needs in ("apt", "bin", "worker-bin") and any(
                "SKIPPED (no apt-cache" in n for n in notes):
            skipped.append(name)
        elif not any(phrase in p for p in problems):
            failures.append(f"{name}: expected {phrase!r}, got {problems}")
    for name, text, tracked, phrase in IGNORE_CASES:
        problems, _ = check_dockerfile.check_dockerignore(text, tracked)
        if not any(phrase in p for p in problems):
            failures.append(f"{name}: expected {phrase!r}, got {problems}")
    for f in failures:
        print(f"check_dockerfile: self-test FAILED: {f}")
    if skipped:
        print(f"check_dockerfile: self-test skipped (no binaries, build dir "
              f"or apt here): {', '.join(skipped)}")
    if not failures:
        print(f"check_dockerfile: self-test passed "
              f"({len(CASES) + len(IGNORE_CASES) - len(skipped)} broken "
              "files caught)")
    return 1 if failures else 0

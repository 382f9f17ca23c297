# SPDX-License-Identifier: Apache-2.0
"""A small Dockerfile reader for check_dockerfile.py: instructions with their
line numbers (continuations joined, comments dropped, as the builder reads
them), stages with their bases (ARG defaults substituted), and .dockerignore
matching (Go filepath.Match patterns plus `**`, `!` exceptions, as the docker
client applies them).
"""
import json
import re
import shlex
from dataclasses import dataclass, field


def exec_form(args):
    """The list of an exec-form (JSON array) argument, else None."""
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


@dataclass
class Stage:
    name: str
    base: str  # as written after FROM, ARGs substituted
    line: int
    instructions: list = field(default_factory=list)  # (line, INSTR, args)

    def runs(self):
        return [(ln, a) for ln, i, a in self.instructions if i == "RUN"]

    def copies_from(self):
        """(line, stage, sources) of each COPY --from."""
        out = []
        for ln, i, a in self.instructions:
            if i != "COPY":
                continue
            words = shlex.split(a)
            src = [w for w in words if w.startswith("--from=")]
            rest = [w for w in words if not w.startswith("--")]
            if src and len(rest) >= 2:
                out.append((ln, src[0][len("--from="):], rest[:-1]))
        return out


class Dockerfile:
    """`runtime_targets`: the stages that are images to run; they and the
    stages they are FROM are runtime stages, the others build stages."""

    def __init__(self, text, runtime_targets=()):
        self.runtime_targets = set(runtime_targets)
        self.args = {}
        self.stages = []
        for line, instr, args in self._instructions(text):
            if instr == "ARG" and not self.stages:
                name, _, default = args.partition("=")
                self.args[name.strip()] = default.strip()
            elif instr == "FROM":
                words = args.split()
                name = words[2] if len(words) >= 3 and words[1].upper() == \
                    "AS" else str(len(self.stages))
                base = re.sub(r"\$\{?(\w+)\}?",
                              lambda m: self.args.get(m.group(1), m.group(0)),
                              words[0])
                self.stages.append(Stage(name, base, line))
            elif self.stages:
                self.stages[-1].instructions.append((line, instr, args))

    @staticmethod
    def _instructions(text):
        current, start = "", 0
        for n, raw in enumerate(text.splitlines(), 1):
            stripped = raw.strip()
            if stripped.startswith("#") or (not stripped and not current):
                continue
            if not current:
                start = n
            if stripped.endswith("\\"):
                current += stripped[:-1] + " "
                continue
            current += stripped
            instr, _, args = current.partition(" ")
            yield start, instr.upper(), args.strip()
            current = ""

    def stage(self, name):
        return next((s for s in self.stages if s.name == name), None)

    def parent(self, s):
        return self.stage(s.base)

    def chain(self, s):
        """The stage and the stages it is FROM, base first."""
        out = []
        while s is not None and s not in out:
            out.insert(0, s)
            s = self.parent(s)
        return out

    def base_image(self, s):
        return self.chain(s)[0].base

    def is_runtime(self, s):
        return any(s in self.chain(t) for t in self.stages
                   if t.name in self.runtime_targets)

    def chain_instructions(self, s):
        return [(i, a) for st in self.chain(s) for _, i, a in st.instructions]

    def apt_packages(self, s):
        """The packages every `apt-get install` of the stage's chain names."""
        packages = set()
        for st in self.chain(s):
            for _, args in st.runs():
                for m in re.finditer(r"apt-get install((?:\s+[^&;|]+)?)",
                                     args):
                    packages |= {w for w in m.group(1).split()
                                 if not w.startswith("-")}
        return packages

    def copies_from_build(self):
        """(line, sources) of each COPY --from a build (not runtime) stage."""
        out = []
        for s in self.stages:
            for line, src, sources in s.copies_from():
                st = self.stage(src)
                if st is not None and not self.is_runtime(st):
                    out.append((line, sources))
        return out


class IgnoreRules:
    """.dockerignore: the last matching pattern decides; `!` re-includes."""

    def __init__(self, text):
        self.rules = []
        for raw in text.splitlines():
            p = raw.strip()
            if not p or p.startswith("#"):
                continue
            negate = p.startswith("!")
            p = p[1:].strip() if negate else p
            p = p.strip("/")
            self.rules.append((negate, re.compile(self._regex(p))))

    @staticmethod
    def _regex(pattern):
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                out += ".*"
                i += 2
            elif pattern[i] == "*":
                out += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                out += "[^/]"
                i += 1
            else:
                out += re.escape(pattern[i])
                i += 1
        return "^" + out + "$"

    def excluded(self, path):
        """True when `path` (relative, '/'-separated) or a directory above it
        is left out of the context."""
        parts = path.split("/")
        prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        result = False
        for negate, rx in self.rules:
            if any(rx.match(p) for p in prefixes):
                result = not negate
        return result

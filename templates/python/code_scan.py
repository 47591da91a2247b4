"""mlpack code scan: which environment variable moves a cache folder?

Run by `mlpack discover` with the same Python (and sys.path) the model command used: in a throwaway
container of the discover image, or with the host's python for `--runner local`. argv[1] is JSON:
{"names": [{"name": ".mylib", "match": "segment" | "substring"}, ...]}. It walks the .py files below every
sys.path entry (the project first, as sys.path has it), and reports each environment lookup
(`os.environ.get("X", ...)`, `os.getenv("X")`, `os.environ["X"]`, `"X" in os.environ`) that sits next to a
folder's name:

- tier 1: the name is a string in the lookup's own statement (`environ.get("MYLIB_HOME", "~/.mylib")`);
  relation "parent" when the name is joined below the lookup (`join(getenv("ROOT", "~"), ".mylib")`);
- tier 2: the variable's name contains the folder's name (MYLIB_HOME for `.mylib`) in a file that mentions it.

It only reads files, prints one JSON document on stdout and never imports the packages it scans.
"""

import ast
import json
import os
import re
import sys
import sysconfig
import time
import warnings

SKIP_DIRS = {"__pycache__", "tests", "test", "node_modules"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_SKIP = {"body", "orelse", "finalbody", "handlers", "cases"}
MAX_HITS_PER_NAME = 20
MAX_FILE_BYTES = 4 * 1024 * 1024
# A scan that runs this long stops and says so; what it found so far is still reported.
DEADLINE_SECONDS = 120


def token_of(name):
    """MYLIB for ".mylib", SCIKIT_LEARN_DATA for "scikit_learn_data"; None when too short to mean anything."""
    token = re.sub(r"[^A-Za-z0-9]+", "_", name.lstrip(".")).strip("_").upper()
    return token if len(token) >= 3 else None


def is_environ(node):
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return True
    return isinstance(node, ast.Name) and node.id == "environ"


def constant_str(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if hasattr(ast, "Index") and isinstance(node, getattr(ast, "Index")):  # Python < 3.9
        return constant_str(node.value)
    return None


def env_lookup(node):
    """The variable name an expression reads from the environment, or None."""
    name = None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault") and is_environ(func.value):
            name = constant_str(node.args[0])
        elif (isinstance(func, ast.Name) and func.id == "getenv") or (
            isinstance(func, ast.Attribute) and func.attr == "getenv"
        ):
            name = constant_str(node.args[0])
    elif isinstance(node, ast.Subscript) and is_environ(node.value):
        name = constant_str(node.slice)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
        if is_environ(node.comparators[0]):
            name = constant_str(node.left)
    return name if name is not None and ENV_NAME.match(name) else None


def header_nodes(stmt):
    """The parts of a statement that are not nested statements (a compound statement's header only)."""
    out = []
    for field, value in ast.iter_fields(stmt):
        if field in HEADER_SKIP:
            continue
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, ast.stmt))
    return out


def strings_in(nodes):
    out = []
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.stmt):
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append(node)
    return out


def matches(value, want):
    name = want["name"]
    if want["match"] == "substring":
        return name in value
    return name in re.split(r"[\\/]", value)


def ancestors(node, parents):
    while node in parents:
        node = parents[node]
        yield node


def relation_of(lookup, constants, parents):
    """'dir' when a matching string is inside the lookup (its default) or an alternative to it; 'parent' when
    the lookup is an argument of a call (a join) whose later argument holds the name."""
    inside = [c for c in constants if lookup in ancestors(c, parents)]
    if inside:
        return "dir"
    child = lookup
    for up in ancestors(lookup, parents):
        if isinstance(up, ast.stmt):
            break
        if isinstance(up, ast.Call) and child in up.args:
            index = up.args.index(child)
            later = up.args[index + 1 :]
            for c in constants:
                if any(arg is c or arg in ancestors(c, parents) for arg in later):
                    return "parent"
        child = up
    return "dir"


def enclosing_statement(node, parents):
    for up in ancestors(node, parents):
        if isinstance(up, ast.stmt):
            return up
    return None


def scan_file(path, rel, data, wanted, hits, counts):
    try:
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    lines = data.splitlines()
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    seen = set()
    for node in ast.walk(tree):
        variable = env_lookup(node)
        if variable is None:
            continue
        stmt = enclosing_statement(node, parents)
        if stmt is None:
            continue
        constants = strings_in(header_nodes(stmt))
        for want in wanted:
            if counts[want["name"]] >= MAX_HITS_PER_NAME:
                continue
            matched = [c for c in constants if matches(c.value, want)]
            token = want["token"]
            if matched:
                tier, relation = 1, relation_of(node, matched, parents)
            elif token is not None and token in variable.upper() and want["bytes"] in data:
                tier, relation = 2, "dir"
            else:
                continue
            key = (want["name"], variable, node.lineno, tier)
            if key in seen:
                continue
            seen.add(key)
            counts[want["name"]] += 1
            text = lines[node.lineno - 1].decode("utf-8", "replace").strip() if node.lineno <= len(lines) else ""
            hits.append(
                {
                    "name": want["name"],
                    "variable": variable,
                    "file": rel,
                    "line": node.lineno,
                    "tier": tier,
                    "relation": relation,
                    "text": text[:200],
                }
            )


def mentions(want, data):
    if want["near"] is None:
        return want["bytes"] in data
    if want["bytes"] in data and want["near"].search(data):
        return True
    return want["token_re"] is not None and want["token_re"].search(data) is not None


def roots_of(path_entries):
    """sys.path's folders, minus the standard library's own (no library keeps its cache location there; the
    site-packages below it are separate entries and still walked)."""
    stdlib = set()
    for key in ("stdlib", "platstdlib"):
        try:
            stdlib.add(os.path.realpath(sysconfig.get_paths()[key]))
        except (KeyError, OSError):
            pass
    roots = []
    for entry in path_entries:
        path = os.path.abspath(entry or os.getcwd())
        if os.path.isdir(path) and path not in roots and os.path.realpath(path) not in stdlib:
            roots.append(path)
    return roots


def main():
    # ast.parse of old files warns (invalid escapes); only the JSON document may reach stdout, and stderr stays quiet.
    warnings.simplefilter("ignore")
    request = json.loads(sys.argv[1])
    wanted = []
    for item in request["names"]:
        name = item["name"]
        match = item.get("match", "segment")
        raw = name.encode("utf-8", "surrogateescape")
        token = token_of(name) if match == "segment" else None
        # Cheap byte tests before any parsing: the name as a whole path segment inside a string literal (a common
        # word such as "models" appears in thousands of files, as a segment in few), or the token in a literal.
        edge = rb"[\x22\x27/\\]"
        wanted.append(
            {
                "name": name,
                "match": match,
                "bytes": raw,
                "token": token,
                "near": re.compile(edge + re.escape(raw) + edge) if match == "segment" else None,
                "token_re": re.compile(rb"[\x22\x27][A-Za-z0-9_]*" + re.escape(token.encode()) + rb"[A-Za-z0-9_]*[\x22\x27]")
                if token is not None
                else None,
            }
        )
    roots = roots_of(sys.path)
    root_set = set(roots)
    hits = []
    counts = {w["name"]: 0 for w in wanted}
    seen_files = set()
    files = 0
    truncated = False
    deadline = time.monotonic() + DEADLINE_SECONDS
    for root in roots:
        if truncated:
            break
        for dirpath, dirnames, filenames in os.walk(root):
            # Another sys.path entry below this one is walked on its own, so files are named relative to it.
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in SKIP_DIRS and not d.startswith(".") and os.path.join(dirpath, d) not in root_set
            )
            if time.monotonic() > deadline:
                truncated = True
                break
            for filename in sorted(filenames):
                if not filename.endswith(".py"):
                    continue
                path = os.path.join(dirpath, filename)
                try:
                    real = os.path.realpath(path)
                    if real in seen_files or os.path.getsize(path) > MAX_FILE_BYTES:
                        continue
                    seen_files.add(real)
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                files += 1
                if b"environ" not in data and b"getenv" not in data:
                    continue
                here = [w for w in wanted if mentions(w, data)]
                if here:
                    rel = os.path.relpath(path, root).replace(os.sep, "/")
                    scan_file(path, rel, data, here, hits, counts)
    result = {"version": 1, "python": sys.version.split()[0], "files": files, "hits": hits, "truncated": truncated}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

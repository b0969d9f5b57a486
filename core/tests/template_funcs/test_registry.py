"""The function map as a whole: exactly ESO v2's names, a Go signature on every function, and
the sandbox (no file, environment, network or process access from any function module)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from extsecrets.templates.funcs import FUNCS, SIGNATURES
from extsecrets.templates.funcs.signature import GoSignature

# sprig v3 (ESO's copy at 8cb06fe): every name of its genericMap except env, expandenv and
# getHostByName, plus ESO's hexdec
SPRIG = [
    "hello",
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "abbrev",
    "abbrevboth",
    "trunc",
    "trim",
    "upper",
    "lower",
    "title",
    "untitle",
    "substr",
    "repeat",
    "trimall",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "nospace",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "replace",
    "plural",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "adler32sum",
    "toString",
    "atoi",
    "int64",
    "int",
    "float64",
    "seq",
    "toDecimal",
    "split",
    "splitList",
    "splitn",
    "toStrings",
    "until",
    "untilStep",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "randInt",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "biggest",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "join",
    "sortAlpha",
    "default",
    "empty",
    "coalesce",
    "all",
    "any",
    "compact",
    "mustCompact",
    "fromJson",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "mustFromJson",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "ternary",
    "deepCopy",
    "mustDeepCopy",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "base",
    "dir",
    "clean",
    "ext",
    "isAbs",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "hexdec",
    "tuple",
    "list",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    "values",
    "append",
    "push",
    "mustAppend",
    "mustPush",
    "prepend",
    "mustPrepend",
    "first",
    "mustFirst",
    "rest",
    "mustRest",
    "last",
    "mustLast",
    "initial",
    "mustInitial",
    "reverse",
    "mustReverse",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "has",
    "mustHas",
    "slice",
    "mustSlice",
    "concat",
    "dig",
    "chunk",
    "mustChunk",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "randBytes",
    "uuidv4",
    "semver",
    "semverCompare",
    "fail",
    "regexMatch",
    "mustRegexMatch",
    "regexFindAll",
    "mustRegexFindAll",
    "regexFind",
    "mustRegexFind",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral",
    "regexSplit",
    "mustRegexSplit",
    "regexQuoteMeta",
    "urlParse",
    "urlJoin",
]
ESO = [
    "pkcs12key",
    "pkcs12keyPass",
    "pkcs12cert",
    "pkcs12certPass",
    "pemToPkcs12",
    "pemToPkcs12Pass",
    "fullPemToPkcs12",
    "fullPemToPkcs12Pass",
    "pemTruststoreToPKCS12",
    "pemTruststoreToPKCS12Pass",
    "filterPEM",
    "filterCertChain",
    "certSANs",
    "jwkPublicKeyPem",
    "jwkPrivateKeyPem",
    "toYaml",
    "fromYaml",
    "rsaDecrypt",
]


def test_exactly_esos_function_names() -> None:
    assert len(SPRIG) == 209
    assert len(ESO) == 18
    assert set(FUNCS) == set(SPRIG) | set(ESO)
    for removed in ("env", "expandenv", "getHostByName"):
        assert removed not in FUNCS


def test_every_function_has_a_go_signature_matching_its_python_arity() -> None:
    assert set(SIGNATURES) == set(FUNCS)
    for name, fn in FUNCS.items():
        sig = SIGNATURES[name]
        assert isinstance(sig, GoSignature), name
        params = list(inspect.signature(fn).parameters.values())
        fixed = [p for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL]
        var = [p for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL]
        if name in {
            "push",
            "append",
            "prepend",
            "chunk",
            "last",
            "first",
            "rest",
            "initial",
            "reverse",
            "compact",
            "uniq",
            "without",
            "has",
            "slice",
        }:
            continue  # wrappers of the must* functions, which carry the same parameters
        assert len(fixed) == len(sig.params), name
        assert bool(var) == (sig.variadic is not None), name
        assert sig.results, name


def test_fail_returns_the_error() -> None:
    from extsecrets.templates.errors import FuncError

    with pytest.raises(FuncError) as err:
        FUNCS["fail"]("boom")
    assert str(err.value) == "boom"


FUNCS_DIR = Path(__file__).resolve().parents[2] / "src" / "extsecrets" / "templates" / "funcs"
BANNED_MODULES = {
    "os",
    "subprocess",
    "socket",
    "shutil",
    "pathlib",
    "urllib",
    "http",
    "requests",
    "ctypes",
    "multiprocessing",
    "importlib",
    "io",
    "tempfile",
}
BANNED_CALLS = {"open", "exec", "eval", "__import__", "compile", "input"}


@pytest.mark.parametrize("path", sorted(FUNCS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_sandbox_no_file_env_network_or_process_access(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in BANNED_MODULES, (path.name, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            assert node.module.split(".")[0] not in BANNED_MODULES, (path.name, node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in BANNED_CALLS, (path.name, node.func.id)
    assert FUNCS_DIR.is_dir()

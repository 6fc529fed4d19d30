"""String functions: concat, join, string, string-length, substr, substring-before/-after,
translate, normalize-space, contains, starts-with, ends-with, regex, uuid, digest,
base64-decode, extract-signed, jr:itext.

Choices (JavaRosa followed unless noted):
- ``concat``/``join`` expand node-set arguments to all their members (FORMS.md; XPath 1.0
  would take only the first), so ``join(', ', ${repeat_field})`` lists every instance.
- ``substr(s, start, end?)``: 0-based, end exclusive, negative positions count from the
  end, out-of-range positions are clamped.
- ``string-length`` counts characters (code points), as XPath does; Java counts UTF-16
  units, which differs only for characters outside the BMP (emoji).
- ``normalize-space`` treats space, tab, CR, LF, VT and FF as white space (Java ``\\s``).
- ``regex(s, re)`` must match the *whole* string (JavaRosa ``Pattern.matches``; ODK docs
  "exact and complete match"); Web Forms/Enketo search instead. An invalid pattern is an
  ExpressionError. Every evaluation has a bounded cost (``expressions.regexes``): RE2 in
  linear time, or a time-limited backtracking engine for lookaround and backreferences,
  whose limit raises ExpressionError ``expression_regex_limit``.
- ``uuid()`` is a random version-4 UUID; ``uuid(n)`` n random letters and digits.
- ``digest(s, alg, enc='base64')``: MD5, SHA-1, SHA-256, SHA-384, SHA-512 over UTF-8;
  ``base64`` or ``hex``; anything else is an ExpressionError.
- ``base64-decode`` of text that is not base64 gives ``''``; invalid UTF-8 is replaced.
- ``extract-signed(s, key)``: ``s`` is base64 of a 64-byte Ed25519 signature followed by
  the message, ``key`` the base64 raw public key; the message if the signature verifies,
  otherwise ``''`` (JavaRosa). Verification is ``qi_capture.crypto.signing``'s.
- ``jr:itext(id)``: the context's translation with that id (XLSForm-built forms address
  choice labels as ``static_instance-<list>-<index>``); ``''`` when there is none.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import string
import uuid
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.errors import REGEX_LIMIT
from qi_capture.forms.expressions.functions.base import each_value, fail, java_int, register
from qi_capture.forms.expressions.regexes import (
    TIMEOUT_SECONDS,
    PatternInvalid,
    PatternTooCostly,
    compile_pattern,
)
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn, StrFn
    from qi_capture.forms.expressions.context import EvalContext, XNode

_SPACE = " \t\r\n\x0b\x0c"
_SPACES = re.compile(f"[{_SPACE}]+")


def _self_or_arg(call: ast.Call, comp: Compiler) -> StrFn:
    """The string argument, or the context node's value when there is none."""
    if call.args:
        return comp.string(call.args[0])
    return lambda c, n: n.value()


@register("concat", returns="string")
def _concat(call: ast.Call, comp: Compiler) -> Fn:
    st = [comp.static_type(a) for a in call.args]
    if "nodeset" not in st and "any" not in st:
        parts = [comp.string(a) for a in call.args]
        if len(parts) == 2:
            a, b = parts
            return lambda c, n: a(c, n) + b(c, n)
        return lambda c, n: "".join(p(c, n) for p in parts)
    values = [comp.value(a) for a in call.args]
    return lambda c, n: "".join(each_value([f(c, n) for f in values]))


@register("join", returns="string")
def _join(call: ast.Call, comp: Compiler) -> Fn:
    sep = comp.string(call.args[0])
    values = [comp.value(a) for a in call.args[1:]]
    return lambda c, n: sep(c, n).join(each_value([f(c, n) for f in values]))


@register("string", returns="string")
def _string(call: ast.Call, comp: Compiler) -> Fn:
    return _self_or_arg(call, comp)


@register("string-length", returns="number")
def _string_length(call: ast.Call, comp: Compiler) -> Fn:
    s = _self_or_arg(call, comp)
    return lambda c, n: float(len(s(c, n)))


@register("normalize-space", returns="string")
def _normalize_space(call: ast.Call, comp: Compiler) -> Fn:
    s = _self_or_arg(call, comp)
    return lambda c, n: _SPACES.sub(" ", s(c, n).strip(_SPACE))


@register("substr", returns="string")
def _substr(call: ast.Call, comp: Compiler) -> Fn:
    s = comp.string(call.args[0])
    start_f = comp.number(call.args[1])
    end_f = comp.number(call.args[2]) if len(call.args) == 3 else None

    def run(c: EvalContext, n: XNode) -> Value:
        text = s(c, n)
        size = len(text)
        start = java_int(start_f(c, n))
        end = java_int(end_f(c, n)) if end_f is not None else size
        if start < 0:
            start += size
        if end < 0:
            end += size
        start = min(max(0, start), size)
        end = min(max(0, end), size)
        return text[start:end] if start <= end else ""

    return run


@register("substring-before", returns="string")
def _substring_before(call: ast.Call, comp: Compiler) -> Fn:
    s, sub = comp.string(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        text, part = s(c, n), sub(c, n)
        i = text.find(part)
        return text[:i] if i >= 0 else ""

    return run


@register("substring-after", returns="string")
def _substring_after(call: ast.Call, comp: Compiler) -> Fn:
    s, sub = comp.string(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        text, part = s(c, n), sub(c, n)
        i = text.find(part)
        return text[i + len(part) :] if i >= 0 else ""

    return run


@register("translate", returns="string")
def _translate(call: ast.Call, comp: Compiler) -> Fn:
    s, frm, to = (comp.string(a) for a in call.args)

    def run(c: EvalContext, n: XNode) -> Value:
        source, target = frm(c, n), to(c, n)
        table: dict[int, int | None] = {}
        for i, ch in enumerate(source):
            code = ord(ch)
            if code not in table:  # the first occurrence in the "from" list wins
                table[code] = ord(target[i]) if i < len(target) else None
        return s(c, n).translate(table)

    return run


@register("contains", returns="boolean")
def _contains(call: ast.Call, comp: Compiler) -> Fn:
    s, sub = comp.string(call.args[0]), comp.string(call.args[1])
    return lambda c, n: sub(c, n) in s(c, n)


@register("starts-with", returns="boolean")
def _starts_with(call: ast.Call, comp: Compiler) -> Fn:
    s, sub = comp.string(call.args[0]), comp.string(call.args[1])
    return lambda c, n: s(c, n).startswith(sub(c, n))


@register("ends-with", returns="boolean")
def _ends_with(call: ast.Call, comp: Compiler) -> Fn:
    s, sub = comp.string(call.args[0]), comp.string(call.args[1])
    return lambda c, n: s(c, n).endswith(sub(c, n))


@register("regex", returns="boolean")
def _regex(call: ast.Call, comp: Compiler) -> Fn:
    s, pattern = comp.string(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        p = pattern(c, n)
        try:
            return compile_pattern(p).fullmatch(s(c, n))
        except PatternInvalid as exc:
            raise fail(call, f"invalid regular expression {p[:200]!r}: {exc}") from exc
        except PatternTooCostly as exc:
            # The answer is not named: messages may reach logs, answers must not.
            raise fail(call, f"the regular expression {p[:200]!r} took longer than "
                       f"{TIMEOUT_SECONDS:g} s on this answer and was stopped (it "
                       "backtracks; simplify it, e.g. avoid nested repeats such as (a+)+)",
                       code=REGEX_LIMIT) from exc

    return run


_ALNUM = string.ascii_letters + string.digits


@register("uuid", returns="string")
def _uuid(call: ast.Call, comp: Compiler) -> Fn:
    if not call.args:
        return lambda c, n: str(uuid.uuid4())
    size_f = comp.number(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        size = max(0, min(java_int(size_f(c, n)), 10_000))
        return "".join(secrets.choice(_ALNUM) for _ in range(size))

    return run


_DIGESTS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


@register("digest", returns="string")
def _digest(call: ast.Call, comp: Compiler) -> Fn:
    s, alg = comp.string(call.args[0]), comp.string(call.args[1])
    enc = comp.string(call.args[2]) if len(call.args) == 3 else None

    def run(c: EvalContext, n: XNode) -> Value:
        name = alg(c, n)
        algorithm = _DIGESTS.get(name.strip().upper())
        if algorithm is None:
            raise fail(call, f"unknown algorithm {name!r} (use one of {', '.join(_DIGESTS)})")
        encoding = enc(c, n).strip().lower() if enc is not None else "base64"
        if encoding not in ("base64", "hex"):
            raise fail(call, f"unknown encoding {encoding!r} (use 'base64' or 'hex')")
        digest = hashlib.new(algorithm, s(c, n).encode("utf-8"))
        if encoding == "hex":
            return digest.hexdigest()
        return base64.b64encode(digest.digest()).decode("ascii")

    return run


@register("base64-decode", returns="string")
def _base64_decode(call: ast.Call, comp: Compiler) -> Fn:
    s = comp.string(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        text = "".join(s(c, n).split())
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return ""
        return raw.decode("utf-8", errors="replace")

    return run


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


@register("extract-signed", returns="string")
def _extract_signed(call: ast.Call, comp: Compiler) -> Fn:
    s, key = comp.string(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        # Imported here: forms that never call it don't load the crypto stack.
        from qi_capture.crypto.signing import KEY_BYTES, SIGNATURE_BYTES, verify

        signed, public = _b64(s(c, n)), _b64(key(c, n))
        if signed is None or public is None or len(public) != KEY_BYTES:
            return ""
        if len(signed) <= SIGNATURE_BYTES:
            return ""
        signature, message = signed[:SIGNATURE_BYTES], signed[SIGNATURE_BYTES:]
        if not verify(public, message, signature):
            return ""
        return message.decode("utf-8", errors="replace")

    return run


@register("jr:itext", returns="string")
def _itext(call: ast.Call, comp: Compiler) -> Fn:
    text_id = comp.string(call.args[0])
    return lambda c, n: c.itext(text_id(c, n)) or ""

"""sprig's arithmetic (functions.go, numeric.go): int64 arithmetic through spf13/cast,
float arithmetic through shopspring/decimal."""

from __future__ import annotations

import math
import secrets
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.values import Int64, fmt_v, format_float

from ._cast import _wrap64, go_parse_int, to_float64, to_int, to_int64
from .signature import ANY, go

__all__ = ["FUNCS"]


def _i64(n: int) -> Int64:
    return Int64(_wrap64(n))


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncPanic("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _go_mod(a: int, b: int) -> int:
    if b == 0:
        raise FuncPanic("runtime error: integer divide by zero")
    return a - b * _go_div(a, b)


@go(ANY, returns="int64")
def add1(i: Any) -> Int64:
    return _i64(to_int64(i) + 1)


@go(variadic=ANY, returns="int64")
def add(*i: Any) -> Int64:
    total = 0
    for b in i:
        total = _wrap64(total + to_int64(b))
    return Int64(total)


@go(ANY, ANY, returns="int64")
def sub(a: Any, b: Any) -> Int64:
    return _i64(to_int64(a) - to_int64(b))


@go(ANY, ANY, returns="int64")
def div(a: Any, b: Any) -> Int64:
    return _i64(_go_div(to_int64(a), to_int64(b)))


@go(ANY, ANY, returns="int64")
def mod(a: Any, b: Any) -> Int64:
    return _i64(_go_mod(to_int64(a), to_int64(b)))


@go(ANY, variadic=ANY, returns="int64")
def mul(a: Any, *v: Any) -> Int64:
    val = to_int64(a)
    for b in v:
        val = _wrap64(val * to_int64(b))
    return Int64(val)


@go(ANY, variadic=ANY, returns="int64")
def max_(a: Any, *i: Any) -> Int64:
    return Int64(max([to_int64(a), *(to_int64(b) for b in i)]))


@go(ANY, variadic=ANY, returns="int64")
def min_(a: Any, *i: Any) -> Int64:
    return Int64(min([to_int64(a), *(to_int64(b) for b in i)]))


def _go_max(x: float, y: float) -> float:
    if (math.isinf(x) and x > 0) or (math.isinf(y) and y > 0):
        return math.inf
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x == 0 and y == 0:
        return x if math.copysign(1, x) > 0 else y
    return x if x > y else y


def _go_min(x: float, y: float) -> float:
    if (math.isinf(x) and x < 0) or (math.isinf(y) and y < 0):
        return -math.inf
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x == 0 and y == 0:
        return x if math.copysign(1, x) < 0 else y
    return x if x < y else y


@go(ANY, variadic=ANY, returns="float64")
def maxf(a: Any, *i: Any) -> float:
    aa = to_float64(a)
    for b in i:
        aa = _go_max(aa, to_float64(b))
    return aa


@go(ANY, variadic=ANY, returns="float64")
def minf(a: Any, *i: Any) -> float:
    aa = to_float64(a)
    for b in i:
        aa = _go_min(aa, to_float64(b))
    return aa


def _keep_sign(f: float, r: float) -> float:
    # math.Floor/Ceil keep the sign of a zero result (ceil -0.5 is -0)
    return math.copysign(0.0, f) if r == 0 else r


@go(ANY, returns="float64")
def floor(a: Any) -> float:
    f = to_float64(a)
    return f if math.isinf(f) or math.isnan(f) else _keep_sign(f, float(math.floor(f)))


@go(ANY, returns="float64")
def ceil(a: Any) -> float:
    f = to_float64(a)
    return f if math.isinf(f) or math.isnan(f) else _keep_sign(f, float(math.ceil(f)))


@go(ANY, "int", variadic="float64", returns="float64")
def round_(a: Any, p: int, *r_opt: float) -> float:
    round_on = r_opt[0] if r_opt else 0.5
    val = to_float64(a)
    try:
        pow_ = math.pow(10, float(p))
    except OverflowError:
        pow_ = math.inf
    digit = pow_ * val
    if math.isinf(digit) or math.isnan(digit):
        frac = math.nan if math.isnan(digit) else 0.0
    else:
        frac = math.modf(digit)[0]
    if frac >= round_on:
        r = digit if math.isinf(digit) or math.isnan(digit) else float(math.ceil(digit))
    else:
        r = digit if math.isinf(digit) or math.isnan(digit) else float(math.floor(digit))
    try:
        return r / pow_
    except ZeroDivisionError:
        return math.nan if r == 0 else math.copysign(math.inf, r)


@go(ANY, returns="int64")
def toDecimal(v: Any) -> Int64:
    try:
        return Int64(go_parse_int(fmt_v(v), 8))
    except ValueError:
        return Int64(0)


@go(ANY, returns="int")
def int_(v: Any) -> int:
    return to_int(v)


@go(ANY, returns="int64")
def int64_(v: Any) -> Int64:
    return Int64(to_int64(v))


@go(ANY, returns="float64")
def float64_(v: Any) -> float:
    return to_float64(v)


@go("int", "int", returns="int")
def randInt(lo: int, hi: int) -> int:
    if hi - lo <= 0:
        raise FuncPanic("invalid argument to Intn")
    return lo + secrets.randbelow(hi - lo)


# -- shopspring/decimal -------------------------------------------------------------------------


def _dec(x: Any) -> Decimal:
    f = to_float64(x)
    if math.isnan(f) or math.isinf(f):
        raise FuncPanic(f"Cannot create a Decimal from {format_float(f, 'g', -1)}")
    return Decimal(repr(f))


def _decimal_op(a: Any, rest: tuple[Any, ...], op: str) -> float:
    with localcontext() as ctx:
        ctx.prec = 1000
        acc = _dec(a)
        for x in rest:
            d = _dec(x)
            if op == "+":
                acc = acc + d
            elif op == "-":
                acc = acc - d
            elif op == "*":
                acc = acc * d
            else:
                if d == 0:
                    raise FuncPanic("decimal division by 0")
                # Decimal.Div: 16 digits after the point, half away from zero
                acc = (acc / d).quantize(Decimal("1e-16"), rounding=ROUND_HALF_UP)
        try:
            return float(acc)
        except OverflowError:  # pragma: no cover - float() saturates to inf instead
            return math.inf


@go(ANY, returns="float64")
def add1f(i: Any) -> float:
    return _decimal_op(i, (1,), "+")


@go(variadic=ANY, returns="float64")
def addf(*i: Any) -> float:
    return _decimal_op(0.0, i, "+")


@go(ANY, variadic=ANY, returns="float64")
def subf(a: Any, *v: Any) -> float:
    return _decimal_op(a, v, "-")


@go(ANY, variadic=ANY, returns="float64")
def divf(a: Any, *v: Any) -> float:
    return _decimal_op(a, v, "/")


@go(ANY, variadic=ANY, returns="float64")
def mulf(a: Any, *v: Any) -> float:
    return _decimal_op(a, v, "*")


FUNCS = {
    "add1": add1,
    "add": add,
    "sub": sub,
    "div": div,
    "mod": mod,
    "mul": mul,
    "biggest": max_,
    "max": max_,
    "min": min_,
    "maxf": maxf,
    "minf": minf,
    "ceil": ceil,
    "floor": floor,
    "round": round_,
    "toDecimal": toDecimal,
    "int": int_,
    "int64": int64_,
    "float64": float64_,
    "randInt": randInt,
    "add1f": add1f,
    "addf": addf,
    "subf": subf,
    "divf": divf,
    "mulf": mulf,
}

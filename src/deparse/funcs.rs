//! Built-in operators and functions that DuckDB computes exactly as
//! PostgreSQL does, with the argument types for which that holds. Where
//! DuckDB differs only at the edges (division by zero, float overflow,
//! infinite timestamps, BC years) the DuckDB spelling reproduces
//! PostgreSQL's result or error; anything else is refused.

use std::ffi::CStr;

use duckam_logic::sql::Expr;
use pgrx::pg_sys;
use pgrx::PgList;

use crate::error::raise_text;
use super::expr::{self, deparse, is_float, is_int, is_text, orders_alike, type_name};
use super::{bpchar, collation};
use super::{refuse, Ctx, Refusal};

/// Only functions of pg_catalog are mapped: a user function of the same
/// name means something else.
pub unsafe fn require_builtin(funcid: pg_sys::Oid, name: &str) -> Result<(), Refusal> {
    if pg_sys::get_func_namespace(funcid) == pg_sys::Oid::from(pg_sys::PG_CATALOG_NAMESPACE) {
        Ok(())
    } else {
        refuse(format!("the user-defined function {name}()"))
    }
}

/// Do comparisons of these operand types agree in both systems?
pub fn comparable(l: pg_sys::Oid, r: pg_sys::Oid, collation: pg_sys::Oid, ordering: bool) -> bool {
    (is_int(l) && is_int(r))
        || (is_float(l) && is_float(r))
        || (l == r && orders_alike(l))
        || (!ordering && l == r && crate::types::bytes_are_equality(l))
        || matches!((l, r), (pg_sys::DATEOID, pg_sys::TIMESTAMPOID) | (pg_sys::TIMESTAMPOID, pg_sys::DATEOID))
        || (is_text(l) && is_text(r) && if ordering { collation::orders_by_bytes(collation) } else { collation::equality_by_bytes(collation) })
}

pub(super) fn lit(text: &str, ty: &str) -> Expr {
    Expr::Literal { text: text.into(), ty: ty.into() }
}

/// date ± integer as PostgreSQL computes it: ±infinity stays itself, a
/// result outside PostgreSQL's date range is an error.
fn date_plus_days(op: &str, date: Expr, days: Expr) -> Expr {
    Expr::Case {
        whens: vec![
            (call("isfinite", vec![date.clone()]), call("memory.main.pg_date_checked", vec![Expr::binary(op, date.clone(), days.clone())])),
            // An infinite date with a NULL stays NULL (the operator is strict).
            (Expr::IsNull { arg: Box::new(days), negated: true }, date),
        ],
        otherwise: None,
    }
}

pub(super) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call { name: name.into(), args }
}

fn cast(arg: Expr, ty: &str) -> Expr {
    Expr::Cast { arg: Box::new(arg), ty: ty.into() }
}

/// DuckDB's error() raising PostgreSQL's message (mapped back to its
/// SQLSTATE by the error boundary).
fn error(message: &str) -> Expr {
    call("error", vec![lit(message, "VARCHAR")])
}

/// DuckDB's error() raising PostgreSQL's `code` and `message` (see
/// error::raise_text).
pub(super) fn raise(code: pgrx::PgSqlErrorCode, message: &str) -> Expr {
    error(&raise_text(code, message))
}

/// Integer remainder: `x % -1` is 0 in PostgreSQL even for the most
/// negative x, where DuckDB reports an overflow; `NULL % -1` stays NULL
/// (the operator is strict).
fn int_modulo(l: Expr, r: Expr) -> Expr {
    let minus_one = Expr::Logical { and: true, args: vec![Expr::binary("=", r.clone(), lit("-1", "INTEGER")), Expr::IsNull { arg: Box::new(l.clone()), negated: true }] };
    Expr::Case {
        whens: vec![(minus_one, lit("0", "INTEGER"))],
        otherwise: Some(Box::new(Expr::binary("%", l, r))),
    }
}

unsafe fn args_of(list: *mut pg_sys::List) -> Vec<*mut pg_sys::Node> {
    PgList::<pg_sys::Node>::from_pg(list).iter_ptr().collect()
}

pub(super) unsafe fn const_text(node: *mut pg_sys::Node) -> Option<String> {
    if (*node).type_ != pg_sys::NodeTag::T_Const || (*(node as *mut pg_sys::Const)).constisnull {
        return None;
    }
    let c = &*(node as *mut pg_sys::Const);
    Some(expr::output_text(c.consttype, c.constvalue))
}

unsafe fn const_int(node: *mut pg_sys::Node) -> Option<i64> {
    const_text(node).filter(|_| is_int(pg_sys::exprType(node))).and_then(|t| t.parse().ok())
}

pub unsafe fn operator(
    ctx: &mut Ctx,
    opno: pg_sys::Oid,
    args: *mut pg_sys::List,
    result: pg_sys::Oid,
    collation: pg_sys::Oid,
) -> Result<Expr, Refusal> {
    let name = CStr::from_ptr(pg_sys::get_opname(opno)).to_string_lossy().into_owned();
    require_builtin(pg_sys::get_opcode(opno), &format!("operator {name}"))?;
    let a = args_of(args);
    let refused = || refuse(format!("operator {name} on {}", a.iter().map(|x| type_name(pg_sys::exprType(*x))).collect::<Vec<_>>().join(" and ")));
    if a.len() == 1 {
        let t = pg_sys::exprType(a[0]);
        if name == "-" && (is_int(t) || is_float(t) || t == pg_sys::NUMERICOID) {
            return Ok(Expr::Unary { op: "-".into(), arg: Box::new(deparse(ctx, a[0])?) });
        }
        return refused();
    }
    if a.len() != 2 {
        return refused();
    }
    let (lt, rt) = (pg_sys::exprType(a[0]), pg_sys::exprType(a[1]));
    let ints = is_int(lt) && is_int(rt);
    let floats = is_float(lt) && is_float(rt);
    let numerics = lt == pg_sys::NUMERICOID && rt == pg_sys::NUMERICOID;
    let texts = is_text(lt) && is_text(rt);
    let both = |ctx: &mut Ctx| -> Result<(Expr, Expr), Refusal> { Ok((deparse(ctx, a[0])?, deparse(ctx, a[1])?)) };
    match name.as_str() {
        "=" | "<>" | "<" | "<=" | ">" | ">=" if lt == pg_sys::BPCHAROID && rt == pg_sys::BPCHAROID => {
            bpchar::comparison(ctx, &name, a[0], a[1], collation)
        }
        "=" | "<>" | "<" | "<=" | ">" | ">=" => {
            if !comparable(lt, rt, collation, !matches!(name.as_str(), "=" | "<>")) {
                return refused();
            }
            let (l, r) = both(ctx)?;
            Ok(Expr::binary(&name, l, r))
        }
        // DuckDB multiplies two narrow decimals in 64 bits and fails on
        // overflow (DECIMAL(10,2) * DECIMAL(10,3) past 18 digits) where
        // PostgreSQL's exact product fits: widened to 38 digits first, the
        // product is exact up to DuckDB's 38-digit limit.
        "*" if numerics => {
            let widened = |ctx: &mut Ctx, x: *mut pg_sys::Node| -> Result<Expr, Refusal> {
                let scale = expr::numeric_scale(ctx, x)?;
                Ok(cast(deparse(ctx, x)?, &format!("DECIMAL(38,{scale})")))
            };
            Ok(Expr::binary("*", widened(ctx, a[0])?, widened(ctx, a[1])?))
        }
        // Integer and exact-decimal arithmetic: same results, both raise an
        // error on overflow (and DuckDB on integer division by zero).
        "+" | "-" | "*" if ints || numerics => {
            let (l, r) = both(ctx)?;
            Ok(Expr::binary(&name, l, r))
        }
        "/" if ints => {
            let (l, r) = both(ctx)?;
            Ok(Expr::binary("//", l, r))
        }
        "%" if ints => {
            let (l, r) = both(ctx)?;
            Ok(int_modulo(l, r))
        }
        // Floats: DuckDB gives ±inf where PostgreSQL raises an error; the
        // pg_f* macros (engine_server/instance.rs) raise PostgreSQL's errors instead.
        "+" | "-" | "*" | "/" if floats => {
            let f = match name.as_str() {
                "+" => "memory.main.pg_fadd",
                "-" => "memory.main.pg_fsub",
                "*" => "memory.main.pg_fmul",
                _ => "memory.main.pg_fdiv",
            };
            let (l, r) = both(ctx)?;
            Ok(call(f, vec![l, r]))
        }
        "||" if texts => {
            let (l, r) = both(ctx)?;
            Ok(Expr::binary("||", l, r))
        }
        // char LIKE matches the padded value in PostgreSQL too.
        "~~" | "!~~" if (texts || (lt == pg_sys::BPCHAROID && is_text(rt))) && collation::equality_by_bytes(collation) => {
            // PostgreSQL's LIKE has backslash as its default escape; DuckDB's
            // plain LIKE has none, which is the same for a constant pattern
            // without backslashes — and only plain LIKE becomes DuckDB's
            // prefix/suffix/contains matching (q13's '%special%requests%'
            // scanned 2.5× slower through like_escape).
            let (l, r) = both(ctx)?;
            if const_text(a[1]).is_some_and(|p| !p.contains('\\')) {
                return Ok(Expr::binary(if name == "~~" { "LIKE" } else { "NOT LIKE" }, l, r));
            }
            let m = call("like_escape", vec![l, r, lit("\\", "VARCHAR")]);
            Ok(if name == "~~" { m } else { Expr::Not(Box::new(m)) })
        }
        "~" | "!~" if texts => {
            let pattern = const_text(a[1]).ok_or("a regular expression that is not a constant")?;
            if !regex_agrees(&pattern) {
                return refuse(format!("the regular expression '{pattern}' (PostgreSQL and DuckDB syntax differ)"));
            }
            let (l, r) = both(ctx)?;
            let m = call("regexp_matches", vec![l, r, lit("s", "VARCHAR")]);
            Ok(if name == "~" { m } else { Expr::Not(Box::new(m)) })
        }
        "+" | "-" if lt == pg_sys::DATEOID && rt == pg_sys::INT4OID => {
            let (l, r) = both(ctx)?;
            Ok(date_plus_days(&name, l, r))
        }
        "+" if lt == pg_sys::INT4OID && rt == pg_sys::DATEOID => {
            let (l, r) = both(ctx)?;
            Ok(date_plus_days("+", r, l))
        }
        "-" if lt == pg_sys::DATEOID && rt == pg_sys::DATEOID => {
            // PostgreSQL refuses ±infinity; DuckDB subtracts its sentinels.
            let (l, r) = both(ctx)?;
            let infinite = Expr::Logical {
                and: false,
                args: vec![Expr::Not(Box::new(call("isfinite", vec![l.clone()]))), Expr::Not(Box::new(call("isfinite", vec![r.clone()])))],
            };
            Ok(Expr::Case {
                whens: vec![(infinite, cast(error("cannot subtract infinite dates"), "INTEGER"))],
                otherwise: Some(Box::new(cast(Expr::binary("-", l, r), "INTEGER"))),
            })
        }
        // Months, then days, then microseconds in both systems.
        "+" | "-" if matches!(lt, pg_sys::TIMESTAMPOID | pg_sys::DATEOID) && rt == pg_sys::INTERVALOID && result == pg_sys::TIMESTAMPOID => {
            let (l, r) = both(ctx)?;
            Ok(Expr::binary(&name, l, r))
        }
        _ => refused(),
    }
}

/// Regular expressions in the subset where PostgreSQL's ARE and RE2 agree:
/// no back-references, look-arounds, ARE-only escapes or embedded options.
fn regex_agrees(p: &str) -> bool {
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if "dDsSwW.\\^$|?*+()[]{}-/".contains(e) => {}
                _ => return false,
            },
            '(' if chars.peek() == Some(&'?') => return false,
            _ => {}
        }
    }
    true
}

const TRUNC_FIELDS: &[&str] = &["microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year"];
const PART_FIELDS: &[&str] = &["year", "isoyear", "quarter", "month", "week", "day", "doy", "dow", "isodow", "hour", "minute"];

/// date_part / extract of an integer field. PostgreSQL numbers years
/// 1 BC, 2 BC, … as -1, -2 where DuckDB says 0, -1; infinite inputs give
/// ±Infinity for years and NULL for other fields in PostgreSQL.
fn date_part(field: &str, x: Expr, numeric: bool) -> Expr {
    let part = call("date_part", vec![lit(field, "VARCHAR"), x.clone()]);
    let part = if field == "year" || field == "isoyear" {
        Expr::Case {
            whens: vec![(Expr::binary("<=", part.clone(), lit("0", "BIGINT")), Expr::binary("-", part.clone(), lit("1", "BIGINT")))],
            otherwise: Some(Box::new(part)),
        }
    } else {
        part
    };
    let ty = if numeric { "DECIMAL(38,0)" } else { "DOUBLE" };
    let mut whens = vec![(call("isfinite", vec![x.clone()]), cast(part, ty))];
    if field == "year" || field == "isoyear" {
        let infinite = Expr::Not(Box::new(call("isfinite", vec![x.clone()])));
        if numeric {
            let e = error("pg_duckam: extract() of an infinite date or timestamp gives numeric Infinity, which DuckDB cannot hold");
            whens.push((infinite, cast(e, ty)));
        } else {
            let epoch = lit("1970-01-01", "DATE");
            whens.push((Expr::binary(">", x.clone(), epoch.clone()), lit("Infinity", "DOUBLE")));
            whens.push((Expr::binary("<", x, epoch), lit("-Infinity", "DOUBLE")));
        }
    }
    // NULL, and infinite inputs for other fields: NULL.
    Expr::Case { whens, otherwise: None }
}

fn is_cast(f: &pg_sys::FuncExpr) -> bool {
    matches!(f.funcformat, pg_sys::CoercionForm::COERCE_IMPLICIT_CAST | pg_sys::CoercionForm::COERCE_EXPLICIT_CAST)
}

pub unsafe fn function(ctx: &mut Ctx, fp: *mut pg_sys::FuncExpr) -> Result<Expr, Refusal> {
    let f = &*fp;
    let name = CStr::from_ptr(pg_sys::get_func_name(f.funcid)).to_string_lossy().into_owned();
    require_builtin(f.funcid, &name)?;
    if f.funcretset {
        return refuse(format!("the set-returning function {name}()"));
    }
    let a = args_of(f.args);
    let t = |i: usize| a.get(i).map(|x| pg_sys::exprType(*x)).unwrap_or(pg_sys::InvalidOid);
    let ret = f.funcresulttype;
    if is_cast(f) {
        return type_cast(ctx, &a, ret, pg_sys::exprTypmod(fp as *mut pg_sys::Node));
    }
    let mut d = |i: usize| deparse(ctx, a[i]);
    let refused = || refuse(format!("function {name}({})", (0..a.len()).map(|i| type_name(t(i))).collect::<Vec<_>>().join(", ")));
    let e = match (name.as_str(), a.len()) {
        ("abs", 1) if is_int(t(0)) || is_float(t(0)) || t(0) == pg_sys::NUMERICOID => call("abs", vec![d(0)?]),
        ("round" | "trunc", 1) if t(0) == pg_sys::NUMERICOID => call(&name, vec![d(0)?]),
        ("round" | "trunc", 2) if t(0) == pg_sys::NUMERICOID && const_int(a[1]).is_some_and(|n| (-38..=38).contains(&n)) => {
            call(&name, vec![d(0)?, cast(d(1)?, "INTEGER")])
        }
        // round(float) rounds half to even in PostgreSQL, half away in DuckDB.
        ("trunc", 1) if t(0) == pg_sys::FLOAT8OID => call("trunc", vec![d(0)?]),
        ("ceil" | "ceiling" | "floor", 1) if t(0) == pg_sys::NUMERICOID || t(0) == pg_sys::FLOAT8OID => {
            call(if name == "floor" { "floor" } else { "ceil" }, vec![d(0)?])
        }
        ("mod", 2) if is_int(t(0)) && is_int(t(1)) => int_modulo(d(0)?, d(1)?),
        ("length" | "char_length" | "character_length", 1) if is_text(t(0)) => cast(call("length", vec![d(0)?]), "INTEGER"),
        ("octet_length", 1) if is_text(t(0)) => cast(call("strlen", vec![d(0)?]), "INTEGER"),
        ("strpos", 2) if is_text(t(0)) && is_text(t(1)) => cast(call("strpos", vec![d(0)?, d(1)?]), "INTEGER"),
        ("substr" | "substring", 2 | 3)
            if is_text(t(0))
                && const_int(a[1]).is_some_and(|s| s >= 1)
                && (a.len() == 2 || const_int(a[2]).is_some_and(|n| n >= 0)) =>
        {
            let mut args = vec![d(0)?, cast(d(1)?, "BIGINT")];
            if a.len() == 3 {
                args.push(cast(d(2)?, "BIGINT"));
            }
            call("substring", args)
        }
        ("left" | "right", 2) if is_text(t(0)) => call(&name, vec![d(0)?, cast(d(1)?, "BIGINT")]),
        ("replace", 3) if (0..3).all(|i| is_text(t(i))) => call("replace", vec![d(0)?, d(1)?, d(2)?]),
        ("btrim" | "ltrim" | "rtrim", 1 | 2) if (0..a.len()).all(|i| is_text(t(i))) => {
            let duck = if name == "btrim" { "trim" } else { &name };
            let args = (0..a.len()).map(&mut d).collect::<Result<Vec<_>, _>>()?;
            call(duck, args)
        }
        ("concat", _) if (0..a.len()).all(|i| is_text(t(i))) => {
            let args = (0..a.len()).map(&mut d).collect::<Result<Vec<_>, _>>()?;
            call("concat", args)
        }
        ("starts_with", 2) if is_text(t(0)) && is_text(t(1)) => call("starts_with", vec![d(0)?, d(1)?]),
        ("md5", 1) if is_text(t(0)) => call("md5", vec![d(0)?]),
        ("lower" | "upper" | "initcap", _) => {
            return refuse(format!("{name}() (case mapping of non-ASCII letters differs in DuckDB)"))
        }
        ("date_trunc", 2) if t(1) == pg_sys::TIMESTAMPOID => {
            let field = const_text(a[0]).map(|s| s.to_lowercase()).filter(|s| TRUNC_FIELDS.contains(&s.as_str()));
            let Some(field) = field else { return refuse("date_trunc() with this field") };
            let x = d(1)?;
            // ±infinity stays itself in PostgreSQL.
            Expr::Case {
                whens: vec![(call("isfinite", vec![x.clone()]), call("date_trunc", vec![lit(&field, "VARCHAR"), x.clone()]))],
                otherwise: Some(Box::new(x)),
            }
        }
        ("date_part" | "extract", 2) if matches!(t(1), pg_sys::TIMESTAMPOID | pg_sys::DATEOID) => {
            let field = const_text(a[0]).map(|s| s.to_lowercase()).filter(|s| PART_FIELDS.contains(&s.as_str()));
            let Some(field) = field else { return refuse(format!("{name}() with this field")) };
            if t(1) == pg_sys::DATEOID && (field == "hour" || field == "minute") {
                return refuse(format!("{name}() of a time field from a date"));
            }
            date_part(&field, d(1)?, ret == pg_sys::NUMERICOID)
        }
        _ => return refused(),
    };
    Ok(e)
}

/// Casts whose results agree: integer widening and narrowing (errors on
/// overflow in both), float/numeric to integer (both round: floats half to
/// even, numerics half away from zero), integer to float and numeric,
/// numeric precision changes (rounding half away from zero, error on
/// overflow), date ⇄ timestamp, float4 → float8.
unsafe fn type_cast(ctx: &mut Ctx, a: &[*mut pg_sys::Node], to: pg_sys::Oid, typmod: i32) -> Result<Expr, Refusal> {
    let from = pg_sys::exprType(a[0]);
    let refused = || refuse(format!("a cast from {} to {}", type_name(from), type_name(to)));
    let ok = match to {
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID => is_int(from) || is_float(from) || from == pg_sys::NUMERICOID,
        pg_sys::FLOAT4OID => is_int(from) || from == pg_sys::FLOAT4OID,
        pg_sys::FLOAT8OID => is_int(from) || is_float(from),
        pg_sys::NUMERICOID => is_int(from) || from == pg_sys::NUMERICOID,
        pg_sys::TIMESTAMPOID => from == pg_sys::DATEOID || from == pg_sys::TIMESTAMPOID,
        pg_sys::DATEOID => from == pg_sys::TIMESTAMPOID,
        pg_sys::TEXTOID | pg_sys::VARCHAROID if from == pg_sys::BPCHAROID && typmod < 0 => {
            return Ok(bpchar::to_text(deparse(ctx, a[0])?));
        }
        // booltext(): 'true' / 'false', as DuckDB's cast.
        pg_sys::TEXTOID => (is_text(from) || from == pg_sys::BOOLOID) && typmod < 0,
        pg_sys::VARCHAROID => is_text(from),
        _ => false,
    };
    if !ok {
        return refused();
    }
    if to == pg_sys::VARCHAROID && typmod >= 0 {
        return varchar_length(ctx, a, typmod - pg_sys::VARHDRSZ as i32);
    }
    if to == pg_sys::NUMERICOID && typmod >= 0 {
        if let Some(p) = expr::numeric_param_as(ctx, a[0], &expr::duck_type(to, typmod)?) {
            return p;
        }
    }
    let ty = if to == pg_sys::NUMERICOID {
        if typmod >= 0 {
            expr::duck_type(to, typmod)?
        } else if is_int(from) {
            // As narrow as the integer: a wider decimal would make DuckDB
            // drop scale when it meets a fractional one (see
            // expr::at_common_scale).
            match from {
                pg_sys::INT2OID => "DECIMAL(5,0)",
                pg_sys::INT4OID => "DECIMAL(10,0)",
                _ => "DECIMAL(19,0)",
            }
            .into()
        } else {
            // numeric → numeric without a typmod: the value is unchanged.
            return deparse(ctx, a[0]);
        }
    } else if to == pg_sys::TIMESTAMPOID && from == pg_sys::TIMESTAMPOID {
        if typmod >= 0 {
            return refused(); // timestamp(p) rounding
        }
        return deparse(ctx, a[0]);
    } else {
        expr::duck_type(to, -1)?
    };
    Ok(cast(deparse(ctx, a[0])?, &ty))
}

/// varchar(n) coercion as PostgreSQL's varchar(): an explicit cast
/// truncates; an assignment truncates only trailing spaces and otherwise
/// fails with "value too long".
unsafe fn varchar_length(ctx: &mut Ctx, a: &[*mut pg_sys::Node], n: i32) -> Result<Expr, Refusal> {
    let explicit = match a.get(2) {
        Some(&flag) if (*flag).type_ == pg_sys::NodeTag::T_Const => (*(flag as *mut pg_sys::Const)).constvalue.value() != 0,
        _ => return refuse("a varchar length coercion of an unknown kind"),
    };
    let x = deparse(ctx, a[0])?;
    let limit = lit(&n.to_string(), "BIGINT");
    let cut = call("left", vec![x.clone(), limit.clone()]);
    if explicit {
        return Ok(cut);
    }
    let rest = call("substr", vec![x.clone(), lit(&(n + 1).to_string(), "BIGINT")]);
    let too_long = Expr::Logical {
        and: true,
        args: vec![
            Expr::binary(">", call("length", vec![x]), limit),
            Expr::binary("<>", call("rtrim", vec![rest, lit(" ", "VARCHAR")]), lit("", "VARCHAR")),
        ],
    };
    let message = format!("value too long for type character varying({n})");
    let raised = raise(pgrx::PgSqlErrorCode::ERRCODE_STRING_DATA_RIGHT_TRUNCATION, &message);
    Ok(Expr::Case { whens: vec![(too_long, raised)], otherwise: Some(Box::new(cut)) })
}

/// Display scale of a numeric-returning function's result, when every
/// value has the same one.
pub unsafe fn numeric_result_scale(ctx: &mut Ctx, fp: *mut pg_sys::FuncExpr) -> Result<u8, Refusal> {
    let f = &*fp;
    let name = CStr::from_ptr(pg_sys::get_func_name(f.funcid)).to_string_lossy().into_owned();
    let a = args_of(f.args);
    let unknown = || refuse("a numeric result whose scale DuckDB cannot reproduce");
    match (name.as_str(), a.len()) {
        (_, 1) if is_cast(f) && is_int(pg_sys::exprType(a[0])) => Ok(0),
        (_, 1) if is_cast(f) && pg_sys::exprType(a[0]) == pg_sys::NUMERICOID => expr::numeric_scale(ctx, a[0]),
        ("round" | "trunc" | "ceil" | "ceiling" | "floor", 1) => Ok(0),
        ("round" | "trunc", 2) => match const_int(a[1]) {
            Some(n) => Ok(n.clamp(0, 38) as u8),
            None => unknown(),
        },
        ("abs", 1) => expr::numeric_scale(ctx, a[0]),
        ("extract" | "date_part", 2) => Ok(0),
        _ => unknown(),
    }
}

//! Expressions: only those whose DuckDB meaning is PostgreSQL's.

use std::ffi::CStr;

use duckam_logic::sql::{Expr, OrderItem};
use duckam_logic::types::{numeric_rule, NumericRule, UNCONSTRAINED_SCALE};
use duckam_logic::{naming, temporal};
use pgrx::pg_sys;
use pgrx::PgList;

use super::{bpchar, collation, funcs};
use super::query::{self, equality_keys, nested_sql, order_items};
use super::{refuse, Ctx, Refusal};
use crate::types;

pub fn type_name(typid: pg_sys::Oid) -> String {
    unsafe { CStr::from_ptr(pg_sys::format_type_be(typid)).to_string_lossy().into_owned() }
}

pub fn is_int(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID)
}

pub fn is_float(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::FLOAT4OID | pg_sys::FLOAT8OID)
}

pub fn is_text(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::TEXTOID | pg_sys::VARCHAROID)
}

/// Types whose default ordering and equality are the same in both systems
/// (byte order for uuid, NaN last and equal to itself for floats,
/// -infinity/infinity for dates and timestamps).
pub fn orders_alike(t: pg_sys::Oid) -> bool {
    is_int(t)
        || is_float(t)
        || matches!(
            t,
            pg_sys::NUMERICOID | pg_sys::BOOLOID | pg_sys::DATEOID | pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID | pg_sys::UUIDOID
        )
}

pub unsafe fn check_orderable(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    let t = pg_sys::exprType(node);
    if orders_alike(t) || (is_text(t) && collation::orders_by_bytes(pg_sys::exprCollation(node))) {
        Ok(())
    } else {
        refuse(format!("ordering {} values (collation or type order differs in DuckDB)", type_name(t)))
    }
}

/// Grouping, DISTINCT and set operations compare values for equality.
pub unsafe fn check_equality(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    check_type_equality(pg_sys::exprType(node), pg_sys::exprTypmod(node), pg_sys::exprCollation(node))
}

/// char(n) values are all padded to n, so their bytes are equal exactly
/// when PostgreSQL calls them equal; char without a length is not.
pub fn check_type_equality(t: pg_sys::Oid, typmod: i32, collation: pg_sys::Oid) -> Result<(), Refusal> {
    let texts = is_text(t) || (t == pg_sys::BPCHAROID && bpchar::length_of_typmod(typmod).is_some());
    if orders_alike(t) || types::bytes_are_equality(t) || (texts && collation::equality_by_bytes(collation)) {
        Ok(())
    } else {
        refuse(format!("grouping or comparing {} values (equality differs in DuckDB)", type_name(t)))
    }
}

/// DuckDB type spelling for a PostgreSQL type, if it has an exact one.
/// Unconstrained numerics have none: their stored text is not a value
/// DuckDB computes with (see stored_unconstrained).
pub unsafe fn duck_type(typid: pg_sys::Oid, typmod: i32) -> Result<String, Refusal> {
    match types::column_kind("", typid, typmod) {
        Ok((kind, d)) if !kind.has_numeric_text() => Ok(d.sql()),
        _ => Err(format!("a value of type {}", type_name(typid))),
    }
}

/// A column of a duckdb table of type numeric without a typmod: its stored
/// text (each value's digits and display scale) as a DuckDB column.
pub unsafe fn stored_unconstrained(ctx: &Ctx, node: *mut pg_sys::Node) -> Option<Expr> {
    if (*node).type_ != pg_sys::NodeTag::T_Var {
        return None;
    }
    let v = &*(node as *mut pg_sys::Var);
    if v.vartype != pg_sys::NUMERICOID || v.vartypmod >= 0 || v.varattno <= 0 {
        return None;
    }
    let rte = ctx.rte(v.varlevelsup, v.varno as u32).ok()?;
    if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION || !crate::hooks::is_duckdb_relid((*rte).relid) {
        return None;
    }
    Some(Expr::column(&ctx.alias(v.varlevelsup, v.varno as u32).ok()?, &naming::column_name(v.varattno)))
}

/// The display scale of a stored unconstrained numeric (its text has no
/// exponent: the digits after the point), as DuckDB INTEGER.
pub fn stored_scale(text: Expr) -> Expr {
    let point = funcs::call("strpos", vec![text.clone(), funcs::lit(".", "VARCHAR")]);
    Expr::Cast {
        arg: Box::new(Expr::Case {
            whens: vec![(Expr::binary("=", point.clone(), funcs::lit("0", "BIGINT")), funcs::lit("0", "BIGINT"))],
            otherwise: Some(Box::new(Expr::binary("-", funcs::call("length", vec![text]), point))),
        }),
        ty: "INTEGER".into(),
    }
}

/// A stored unconstrained numeric as the DECIMAL DuckDB computes with
/// (every stored value fits it exactly: checked on insert).
pub fn stored_value(text: Expr) -> Expr {
    Expr::Cast { arg: Box::new(text), ty: format!("DECIMAL(38,{UNCONSTRAINED_SCALE})") }
}

/// The DuckDB type an expression's values are read back as: its type's
/// storage type, or for numeric without a typmod DECIMAL(38, s) with the
/// scale PostgreSQL's own arithmetic would give every value.
pub unsafe fn result_type(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<String, Refusal> {
    Ok(result_type_and_scale(ctx, node)?.0)
}

/// `result_type`, with the scale it chose for an unconstrained numeric.
pub unsafe fn result_type_and_scale(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<(String, Option<u8>), Refusal> {
    let (t, m) = (pg_sys::exprType(node), pg_sys::exprTypmod(node));
    if t == pg_sys::NUMERICOID && m < 0 {
        let scale = numeric_scale(ctx, node)?;
        return Ok((format!("DECIMAL(38,{scale})"), Some(scale)));
    }
    Ok((duck_type(t, m)?, None))
}

/// PostgreSQL numeric typmod for numeric(38, scale).
pub fn numeric_typmod(scale: u8) -> i32 {
    ((38 << 16) | scale as i32) + pg_sys::VARHDRSZ as i32
}

fn scale_of_text(text: &str) -> u8 {
    text.split_once('.').map(|(_, f)| f.len() as u8).unwrap_or(0)
}

/// The display scale of every value of a numeric expression (PostgreSQL
/// numerics carry one per value; DuckDB decimals one per column).
pub unsafe fn numeric_scale(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<u8, Refusal> {
    let unknown = || refuse("a numeric result whose scale DuckDB cannot reproduce");
    let typmod = pg_sys::exprTypmod(node);
    if typmod >= 0 {
        return match numeric_rule(typmod) {
            NumericRule::Decimal { scale, .. } => Ok(scale),
            _ => unknown(),
        };
    }
    let same = |ctx: &mut Ctx, branches: Vec<*mut pg_sys::Node>| -> Result<u8, Refusal> {
        let mut scale = None;
        for n in branches {
            if (*n).type_ == pg_sys::NodeTag::T_Const && (*(n as *mut pg_sys::Const)).constisnull {
                continue;
            }
            let s = numeric_scale(ctx, n)?;
            if scale.is_some_and(|x| x != s) {
                return refuse("a numeric result mixing scales");
            }
            scale = Some(s);
        }
        Ok(scale.unwrap_or(0))
    };
    match (*node).type_ {
        pg_sys::NodeTag::T_Const => {
            let c = &*(node as *mut pg_sys::Const);
            if c.constisnull {
                return Ok(0);
            }
            Ok(scale_of_text(&output_text(c.consttype, c.constvalue)))
        }
        pg_sys::NodeTag::T_RelabelType => numeric_scale(ctx, (*(node as *mut pg_sys::RelabelType)).arg as *mut pg_sys::Node),
        pg_sys::NodeTag::T_Var => column_scale(ctx, node as *mut pg_sys::Var),
        pg_sys::NodeTag::T_OpExpr => {
            let o = &*(node as *mut pg_sys::OpExpr);
            let a = nodes(o.args);
            let name = CStr::from_ptr(pg_sys::get_opname(o.opno)).to_string_lossy().into_owned();
            match (name.as_str(), a.as_slice()) {
                ("+" | "-", [l, r]) => Ok(numeric_scale(ctx, *l)?.max(numeric_scale(ctx, *r)?)),
                ("*", [l, r]) => {
                    let s = numeric_scale(ctx, *l)? as u32 + numeric_scale(ctx, *r)? as u32;
                    if s > 38 {
                        return unknown();
                    }
                    Ok(s as u8)
                }
                ("-", [x]) => numeric_scale(ctx, *x),
                _ => unknown(),
            }
        }
        pg_sys::NodeTag::T_FuncExpr => funcs::numeric_result_scale(ctx, node as *mut pg_sys::FuncExpr),
        pg_sys::NodeTag::T_Aggref => {
            let a = &*(node as *mut pg_sys::Aggref);
            let name = CStr::from_ptr(pg_sys::get_func_name(a.aggfnoid)).to_string_lossy().into_owned();
            let list = PgList::<pg_sys::TargetEntry>::from_pg(a.args);
            match (name.as_str(), list.get_ptr(0)) {
                ("sum" | "min" | "max", Some(tle)) => arg_scale(ctx, (*tle).expr as *mut pg_sys::Node),
                _ => unknown(),
            }
        }
        pg_sys::NodeTag::T_WindowFunc => {
            let w = &*(node as *mut pg_sys::WindowFunc);
            let name = CStr::from_ptr(pg_sys::get_func_name(w.winfnoid)).to_string_lossy().into_owned();
            match (name.as_str(), nodes(w.args).first()) {
                ("sum" | "min" | "max" | "first_value" | "last_value" | "nth_value" | "lag" | "lead", Some(a)) => arg_scale(ctx, *a),
                _ => unknown(),
            }
        }
        _ => match branches(node) {
            Some(results) => same(ctx, results),
            None => unknown(),
        },
    }
}

/// Scale of an aggregate's argument: integers count as scale 0.
pub unsafe fn arg_scale(ctx: &mut Ctx, arg: *mut pg_sys::Node) -> Result<u8, Refusal> {
    if is_int(pg_sys::exprType(arg)) {
        Ok(0)
    } else {
        numeric_scale(ctx, arg)
    }
}

/// Scale of a column of a subquery, CTE or join: that of the expression
/// behind it, in its own query level.
unsafe fn column_scale(ctx: &mut Ctx, v: *mut pg_sys::Var) -> Result<u8, Refusal> {
    let v = &*v;
    let unknown = || refuse("a numeric column whose scale DuckDB cannot reproduce");
    let rte = ctx.rte(v.varlevelsup, v.varno as u32)?;
    let query = match (*rte).rtekind {
        pg_sys::RTEKind::RTE_SUBQUERY if (*(*rte).subquery).setOperations.is_null() => (*rte).subquery,
        pg_sys::RTEKind::RTE_CTE => {
            let (_, cte) = ctx.cte(v.varlevelsup + (*rte).ctelevelsup, CStr::from_ptr((*rte).ctename))?;
            let q = (*cte).ctequery as *mut pg_sys::Query;
            if (*cte).cterecursive || !(*q).setOperations.is_null() {
                return unknown();
            }
            q
        }
        pg_sys::RTEKind::RTE_JOIN if v.varlevelsup == 0 => return numeric_scale(ctx, Ctx::join_column(rte, v.varattno)?),
        _ => return unknown(),
    };
    if v.varlevelsup != 0 {
        return unknown();
    }
    let tle = PgList::<pg_sys::TargetEntry>::from_pg((*query).targetList)
        .get_ptr(v.varattno as usize - 1)
        .ok_or("a reference past a subquery's columns")?;
    ctx.enter(query, |ctx| numeric_scale(ctx, (*tle).expr as *mut pg_sys::Node))
}

pub unsafe fn limit(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<Option<Expr>, Refusal> {
    if (*node).type_ == pg_sys::NodeTag::T_Const && (*(node as *mut pg_sys::Const)).constisnull {
        return Ok(None);
    }
    if pg_sys::contain_var_clause(node) || pg_sys::contain_volatile_functions(node) {
        return refuse("a LIMIT/OFFSET that is not a constant");
    }
    Ok(Some(deparse(ctx, node)?))
}

fn node_kind(node: *mut pg_sys::Node) -> String {
    let tag = unsafe { CStr::from_ptr(pg_sys::nodeToString(node as *const _)).to_string_lossy().into_owned() };
    tag.trim_start_matches('{').split([' ', '}']).next().unwrap_or("?").to_lowercase()
}

unsafe fn list(ctx: &mut Ctx, args: *mut pg_sys::List) -> Result<Vec<Expr>, Refusal> {
    PgList::<pg_sys::Node>::from_pg(args).iter_ptr().map(|a| deparse(ctx, a)).collect()
}

pub unsafe fn deparse(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<Expr, Refusal> {
    match (*node).type_ {
        pg_sys::NodeTag::T_Var => var(ctx, node as *mut pg_sys::Var),
        pg_sys::NodeTag::T_Const => constant(node as *mut pg_sys::Const),
        pg_sys::NodeTag::T_Param => param(ctx, node as *mut pg_sys::Param),
        pg_sys::NodeTag::T_RelabelType => {
            let r = &*(node as *mut pg_sys::RelabelType);
            duck_type(r.resulttype, -1)?;
            // Binary-coercible between stored-opaque types (cidr → inet):
            // the bytes DuckDB holds are the source type's send form.
            let from = pg_sys::exprType(r.arg as *mut pg_sys::Node);
            if (types::is_opaque(r.resulttype) || types::is_opaque(from)) && pg_sys::getBaseType(from) != pg_sys::getBaseType(r.resulttype) {
                return refuse(format!("a cast from {} to {}", type_name(from), type_name(r.resulttype)));
            }
            deparse(ctx, r.arg as *mut pg_sys::Node)
        }
        pg_sys::NodeTag::T_OpExpr => {
            let o = &*(node as *mut pg_sys::OpExpr);
            funcs::operator(ctx, o.opno, o.args, o.opresulttype, o.inputcollid)
        }
        pg_sys::NodeTag::T_DistinctExpr => {
            let o = &*(node as *mut pg_sys::OpExpr);
            comparison_operands(o.opno, o.args, o.inputcollid, true)?;
            let a = list(ctx, o.args)?;
            let mut a = a.into_iter();
            Ok(Expr::binary("IS DISTINCT FROM", a.next().unwrap(), a.next().unwrap()))
        }
        pg_sys::NodeTag::T_NullIfExpr => {
            let o = &*(node as *mut pg_sys::OpExpr);
            comparison_operands(o.opno, o.args, o.inputcollid, true)?;
            Ok(Expr::Call { name: "nullif".into(), args: list(ctx, o.args)? })
        }
        pg_sys::NodeTag::T_ScalarArrayOpExpr => scalar_array_op(ctx, node as *mut pg_sys::ScalarArrayOpExpr),
        pg_sys::NodeTag::T_BoolExpr => {
            let b = &*(node as *mut pg_sys::BoolExpr);
            let args = list(ctx, b.args)?;
            match b.boolop {
                pg_sys::BoolExprType::AND_EXPR => Ok(Expr::Logical { and: true, args }),
                pg_sys::BoolExprType::OR_EXPR => Ok(Expr::Logical { and: false, args }),
                _ => Ok(Expr::Not(Box::new(args.into_iter().next().ok_or("NOT without argument")?))),
            }
        }
        pg_sys::NodeTag::T_NullTest => {
            let n = &*(node as *mut pg_sys::NullTest);
            if n.argisrow || pg_sys::type_is_rowtype(pg_sys::exprType(n.arg as *mut pg_sys::Node)) {
                return refuse("IS NULL on a row value");
            }
            Ok(Expr::IsNull {
                arg: Box::new(deparse(ctx, n.arg as *mut pg_sys::Node)?),
                negated: n.nulltesttype == pg_sys::NullTestType::IS_NOT_NULL,
            })
        }
        pg_sys::NodeTag::T_BooleanTest => boolean_test(ctx, node as *mut pg_sys::BooleanTest),
        pg_sys::NodeTag::T_CaseExpr => case(ctx, node as *mut pg_sys::CaseExpr),
        pg_sys::NodeTag::T_CaseTestExpr => {
            let stand_in = *ctx.case_tests.last().ok_or("a CASE placeholder outside CASE")?;
            deparse(ctx, stand_in)
        }
        pg_sys::NodeTag::T_CoalesceExpr => {
            let c = &*(node as *mut pg_sys::CoalesceExpr);
            let args = list(ctx, c.args)?;
            Ok(Expr::Call { name: "coalesce".into(), args: at_common_scale(ctx, c.coalescetype, nodes(c.args), args)? })
        }
        pg_sys::NodeTag::T_MinMaxExpr => {
            let m = &*(node as *mut pg_sys::MinMaxExpr);
            if !orders_alike(m.minmaxtype) && !(is_text(m.minmaxtype) && collation::orders_by_bytes(m.inputcollid)) {
                return refuse(format!("GREATEST/LEAST over {}", type_name(m.minmaxtype)));
            }
            let name = if m.op == pg_sys::MinMaxOp::IS_GREATEST { "greatest" } else { "least" };
            let args = list(ctx, m.args)?;
            Ok(Expr::Call { name: name.into(), args: at_common_scale(ctx, m.minmaxtype, nodes(m.args), args)? })
        }
        pg_sys::NodeTag::T_Aggref => aggregate(ctx, node as *mut pg_sys::Aggref),
        pg_sys::NodeTag::T_WindowFunc => window_function(ctx, node as *mut pg_sys::WindowFunc),
        pg_sys::NodeTag::T_GroupingFunc => {
            let g = &*(node as *mut pg_sys::GroupingFunc);
            if g.agglevelsup != 0 {
                return refuse("GROUPING() of an outer query");
            }
            let call = Expr::Call { name: "grouping".into(), args: list(ctx, g.args)? };
            Ok(Expr::Cast { arg: Box::new(call), ty: "INTEGER".into() })
        }
        pg_sys::NodeTag::T_SubLink => sublink(ctx, node as *mut pg_sys::SubLink),
        pg_sys::NodeTag::T_FuncExpr => funcs::function(ctx, node as *mut pg_sys::FuncExpr),
        pg_sys::NodeTag::T_CoerceViaIO => {
            let c = &*(node as *mut pg_sys::CoerceViaIO);
            let arg = c.arg as *mut pg_sys::Node;
            let from = pg_sys::exprType(arg);
            // Text forms that agree: integers, booleans, uuids, text itself.
            if is_text(c.resulttype) && (is_int(from) || matches!(from, pg_sys::BOOLOID | pg_sys::UUIDOID | pg_sys::UNKNOWNOID) || is_text(from)) {
                return Ok(Expr::Cast { arg: Box::new(deparse(ctx, arg)?), ty: "VARCHAR".into() });
            }
            refuse(format!("a cast from {} to {}", type_name(from), type_name(c.resulttype)))
        }
        pg_sys::NodeTag::T_SQLValueFunction => refuse("CURRENT_DATE/CURRENT_TIMESTAMP/CURRENT_USER and similar"),
        _ => refuse(format!("an expression of kind {}", node_kind(node))),
    }
}

unsafe fn var(ctx: &mut Ctx, v: *mut pg_sys::Var) -> Result<Expr, Refusal> {
    let v = &*v;
    if v.varattno <= 0 {
        return refuse("a system column or whole-row reference");
    }
    let rte = ctx.rte(v.varlevelsup, v.varno as u32)?;
    let alias = ctx.alias(v.varlevelsup, v.varno as u32)?;
    match (*rte).rtekind {
        pg_sys::RTEKind::RTE_RELATION => {
            if let Some(text) = stored_unconstrained(ctx, v as *const pg_sys::Var as *mut pg_sys::Node) {
                return Ok(stored_value(text));
            }
            // Heap columns reach DuckDB only in the types it stores.
            match crate::types::column_kind("", v.vartype, v.vartypmod) {
                Ok((kind, _)) if !kind.has_numeric_text() => Ok(Expr::column(&alias, &naming::column_name(v.varattno))),
                _ => refuse(format!("a column of type {}", type_name(v.vartype))),
            }
        }
        pg_sys::RTEKind::RTE_SUBQUERY | pg_sys::RTEKind::RTE_CTE | pg_sys::RTEKind::RTE_VALUES => {
            Ok(Expr::column(&alias, &query::output_name(v.varattno)))
        }
        pg_sys::RTEKind::RTE_JOIN => {
            let target = Ctx::join_column(rte, v.varattno)?;
            if v.varlevelsup == 0 {
                return deparse(ctx, target);
            }
            // An outer join column: only plain column aliases are followed.
            if (*target).type_ != pg_sys::NodeTag::T_Var {
                return refuse("an outer reference to a merged join column");
            }
            let mut inner = *(target as *mut pg_sys::Var);
            inner.varlevelsup += v.varlevelsup;
            var(ctx, &mut inner)
        }
        _ => refuse("a column of a FROM item of an unsupported kind"),
    }
}

pub unsafe fn output_text(typid: pg_sys::Oid, d: pg_sys::Datum) -> String {
    let (mut out, mut varlena) = (pg_sys::InvalidOid, false);
    pg_sys::getTypeOutputInfo(typid, &mut out, &mut varlena);
    CStr::from_ptr(pg_sys::OidOutputFunctionCall(out, d)).to_string_lossy().into_owned()
}

/// Can values of this type travel as literals or parameters?
pub fn literal_type(typid: pg_sys::Oid) -> Option<&'static str> {
    Some(match typid {
        pg_sys::BOOLOID => "BOOLEAN",
        pg_sys::INT2OID => "SMALLINT",
        pg_sys::INT4OID => "INTEGER",
        pg_sys::INT8OID => "BIGINT",
        pg_sys::FLOAT4OID => "FLOAT",
        pg_sys::FLOAT8OID => "DOUBLE",
        pg_sys::NUMERICOID => "DECIMAL",
        pg_sys::TEXTOID | pg_sys::VARCHAROID | pg_sys::BPCHAROID => "VARCHAR",
        pg_sys::UUIDOID => "UUID",
        pg_sys::DATEOID => "DATE",
        pg_sys::TIMESTAMPOID => "TIMESTAMP",
        pg_sys::TIMESTAMPTZOID => "TIMESTAMP WITH TIME ZONE",
        pg_sys::INTERVALOID => "INTERVAL",
        _ => return None,
    })
}

/// A value as DuckDB-readable text and the DuckDB type to cast it to.
/// Dates and timestamps are spelled in ISO form by our own converters, not
/// by DateStyle-dependent output functions.
pub unsafe fn literal_text(typid: pg_sys::Oid, d: pg_sys::Datum) -> Result<(String, String), Refusal> {
    let ty = literal_type(typid).ok_or_else(|| format!("a value of type {}", type_name(typid)))?;
    let text = match typid {
        pg_sys::BOOLOID => (if d.value() != 0 { "true" } else { "false" }).to_string(),
        pg_sys::DATEOID => {
            let days = temporal::date_pg_to_duck(d.value() as i32).map_err(|_| "a date out of DuckDB's range")?;
            temporal::iso_date(days).ok_or("a date outside years 1-9999")?
        }
        pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID => {
            let t = temporal::timestamp_pg_to_duck(d.value() as i64).map_err(|_| "a timestamp out of DuckDB's range")?;
            let text = temporal::iso_timestamp(t).ok_or("a timestamp outside years 1-9999")?;
            if typid == pg_sys::TIMESTAMPTZOID {
                format!("{text}+00")
            } else {
                text
            }
        }
        pg_sys::INTERVALOID => {
            let i = &*(d.cast_mut_ptr::<pg_sys::Interval>());
            temporal::interval_text(i.month, i.day, i.time)
        }
        pg_sys::NUMERICOID => {
            let text = output_text(typid, d);
            let digits = text.bytes().filter(|b| b.is_ascii_digit()).count();
            if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') || digits > 38 {
                return refuse(format!("the numeric value {text}"));
            }
            let int_digits = text.trim_start_matches('-').split('.').next().unwrap_or("").len();
            let scale = scale_of_text(&text) as usize;
            return Ok((text, format!("DECIMAL({},{scale})", (int_digits + scale).clamp(1, 38))));
        }
        _ => output_text(typid, d),
    };
    Ok((text, ty.to_string()))
}

unsafe fn constant(c: *mut pg_sys::Const) -> Result<Expr, Refusal> {
    let c = &*c;
    if c.consttype == pg_sys::UNKNOWNOID {
        // An untyped literal (e.g. in INSERT … SELECT 'x'): its text, which
        // the consumer coerces (see CoerceViaIO).
        if c.constisnull {
            return Ok(Expr::Cast { arg: Box::new(Expr::Null), ty: "VARCHAR".into() });
        }
        let text = CStr::from_ptr(c.constvalue.cast_mut_ptr::<std::ffi::c_char>()).to_string_lossy().into_owned();
        return Ok(Expr::Literal { text, ty: "VARCHAR".into() });
    }
    if c.constisnull && c.consttype == pg_sys::NUMERICOID && c.consttypmod < 0 {
        // No DECIMAL width fits every use (a CASE's implicit ELSE NULL):
        // DuckDB's untyped NULL takes the type of its surroundings.
        return Ok(Expr::Null);
    }
    if c.constisnull {
        let ty = duck_type(c.consttype, c.consttypmod)?;
        return Ok(Expr::Cast { arg: Box::new(Expr::Null), ty });
    }
    if c.consttype == pg_sys::BOOLOID {
        return Ok(Expr::Bool(c.constvalue.value() != 0));
    }
    if let Ok((types::Kind::Opaque(io), _)) = types::column_kind("", c.consttype, c.consttypmod) {
        // The bytes a column of the type stores: DuckDB compares or
        // assigns them, never computes on them.
        return Ok(Expr::Literal { text: types::with_send_form(&io, c.constvalue, blob_literal), ty: "BLOB".into() });
    }
    let (text, ty) = literal_text(c.consttype, c.constvalue).map_err(|e| format!("a constant: {e}"))?;
    Ok(Expr::Literal { text, ty })
}

/// DuckDB's text for a BLOB literal: every byte as `\xHH`.
fn blob_literal(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02X}")).collect()
}

/// A parameter ($n) of a prepared statement or PL/pgSQL: bound as text
/// at execution and cast to its type.
unsafe fn param(ctx: &mut Ctx, p: *mut pg_sys::Param) -> Result<Expr, Refusal> {
    if (*p).paramtype == pg_sys::NUMERICOID {
        // A DECIMAL needs its scale in the statement text; the value's own
        // scale is only known at execution (see numeric_param_as).
        return refuse("a numeric parameter");
    }
    let ty = literal_type((*p).paramtype).ok_or_else(|| format!("a parameter of type {}", type_name((*p).paramtype)))?;
    param_as(ctx, p, ty)
}

/// Parameter `p` read from its text form as DuckDB type `ty`.
unsafe fn param_as(ctx: &mut Ctx, p: *mut pg_sys::Param, ty: &str) -> Result<Expr, Refusal> {
    let p = &*p;
    if p.paramkind != pg_sys::ParamKind::PARAM_EXTERN {
        return refuse("an internal parameter");
    }
    let n = ctx.param(p.paramid, p.paramtype);
    let text = Expr::Cast { arg: Box::new(Expr::Param(n)), ty: "VARCHAR".into() };
    Ok(Expr::Cast { arg: Box::new(text), ty: ty.into() })
}

/// A numeric parameter coerced to a numeric(p,s) (e.g. assigned to such a
/// column): its text is read straight into DECIMAL(p,s), which rounds half
/// away from zero and fails on overflow, as PostgreSQL's coercion does.
pub unsafe fn numeric_param_as(ctx: &mut Ctx, node: *mut pg_sys::Node, ty: &str) -> Option<Result<Expr, Refusal>> {
    let is_numeric_param = (*node).type_ == pg_sys::NodeTag::T_Param && (*(node as *mut pg_sys::Param)).paramtype == pg_sys::NUMERICOID;
    is_numeric_param.then(|| param_as(ctx, node as *mut pg_sys::Param, ty))
}

/// Checks a comparison's operands agree in both systems.
pub unsafe fn comparison_operands(opno: pg_sys::Oid, args: *mut pg_sys::List, collation: pg_sys::Oid, equality_only: bool) -> Result<(), Refusal> {
    let a = PgList::<pg_sys::Node>::from_pg(args);
    let (Some(l), Some(r)) = (a.get_ptr(0), a.get_ptr(1)) else { return refuse("a comparison without two operands") };
    let name = CStr::from_ptr(pg_sys::get_opname(opno)).to_string_lossy().into_owned();
    let equality = matches!(name.as_str(), "=" | "<>");
    if equality_only && !equality {
        return refuse(format!("operator {name} here"));
    }
    let (lt, rt) = (pg_sys::exprType(l), pg_sys::exprType(r));
    let same_length_chars = lt == pg_sys::BPCHAROID
        && rt == pg_sys::BPCHAROID
        && equality
        && bpchar::same_padding(l, r)
        && collation::equality_by_bytes(collation);
    if same_length_chars || funcs::comparable(lt, rt, collation, !equality) {
        Ok(())
    } else {
        refuse(format!("operator {name} on {} and {}", type_name(pg_sys::exprType(l)), type_name(pg_sys::exprType(r))))
    }
}

/// `x IN (…)`, `x = ANY(array)`, `x <> ALL(array)`.
unsafe fn scalar_array_op(ctx: &mut Ctx, s: *mut pg_sys::ScalarArrayOpExpr) -> Result<Expr, Refusal> {
    let s = &*s;
    let args = PgList::<pg_sys::Node>::from_pg(s.args);
    let (Some(l), Some(r)) = (args.get_ptr(0), args.get_ptr(1)) else { return refuse("IN without a list") };
    let name = CStr::from_ptr(pg_sys::get_opname(s.opno)).to_string_lossy().into_owned();
    let negated = match (name.as_str(), s.useOr) {
        ("=", true) => false,
        ("<>", false) => true,
        _ => return refuse(format!("{name} {}(array)", if s.useOr { "ANY" } else { "ALL" })),
    };
    let elem = pg_sys::get_element_type(pg_sys::exprType(r));
    if elem == pg_sys::BPCHAROID && pg_sys::exprType(l) == pg_sys::BPCHAROID {
        let items = array_items(r, elem)?;
        if items.is_empty() {
            return refuse("an empty IN list");
        }
        return bpchar::in_list(ctx, l, &items, s.inputcollid, negated);
    }
    if !funcs::comparable(pg_sys::exprType(l), elem, s.inputcollid, false) {
        return refuse(format!("IN over {}", type_name(elem)));
    }
    let mut items = Vec::new();
    for item in array_items(r, elem)? {
        items.push(match item {
            ArrayItem::Node(n) => deparse(ctx, n)?,
            ArrayItem::Null => Expr::Cast { arg: Box::new(Expr::Null), ty: duck_type(elem, -1)? },
            ArrayItem::Datum(d) if elem == pg_sys::BOOLOID => Expr::Bool(d.value() != 0),
            ArrayItem::Datum(d) => {
                let (text, ty) = literal_text(elem, d)?;
                Expr::Literal { text, ty }
            }
        });
    }
    if items.is_empty() {
        return refuse("an empty IN list");
    }
    Ok(Expr::InList { arg: Box::new(deparse(ctx, l)?), list: items, negated })
}

/// The right side of `x = ANY(…)`: the elements of an ARRAY[…]
/// expression or of an array constant.
pub enum ArrayItem {
    Node(*mut pg_sys::Node),
    Null,
    Datum(pg_sys::Datum),
}

pub unsafe fn array_items(r: *mut pg_sys::Node, elem: pg_sys::Oid) -> Result<Vec<ArrayItem>, Refusal> {
    match (*r).type_ {
        pg_sys::NodeTag::T_ArrayExpr => {
            Ok(PgList::<pg_sys::Node>::from_pg((*(r as *mut pg_sys::ArrayExpr)).elements).iter_ptr().map(ArrayItem::Node).collect())
        }
        pg_sys::NodeTag::T_Const if !(*(r as *mut pg_sys::Const)).constisnull => {
            let arr = pg_sys::pg_detoast_datum((*(r as *mut pg_sys::Const)).constvalue.cast_mut_ptr()) as *mut pg_sys::ArrayType;
            let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
            pg_sys::get_typlenbyvalalign(elem, &mut len, &mut byval, &mut align);
            let (mut values, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0);
            pg_sys::deconstruct_array(arr, elem, len as i32, byval, align, &mut values, &mut nulls, &mut n);
            Ok((0..n as usize)
                .map(|i| if *nulls.add(i) { ArrayItem::Null } else { ArrayItem::Datum(*values.add(i)) })
                .collect())
        }
        _ => refuse("= ANY over an array value"),
    }
}

unsafe fn boolean_test(ctx: &mut Ctx, b: *mut pg_sys::BooleanTest) -> Result<Expr, Refusal> {
    let b = &*b;
    let x = deparse(ctx, b.arg as *mut pg_sys::Node)?;
    let coalesce = |e: Expr, v: bool| Expr::Call { name: "coalesce".into(), args: vec![e, Expr::Bool(v)] };
    Ok(match b.booltesttype {
        pg_sys::BoolTestType::IS_TRUE => coalesce(x, false),
        pg_sys::BoolTestType::IS_NOT_TRUE => Expr::Not(Box::new(coalesce(x, false))),
        pg_sys::BoolTestType::IS_FALSE => coalesce(Expr::Not(Box::new(x)), false),
        pg_sys::BoolTestType::IS_NOT_FALSE => coalesce(x, true),
        pg_sys::BoolTestType::IS_UNKNOWN => Expr::IsNull { arg: Box::new(x), negated: false },
        _ => Expr::IsNull { arg: Box::new(x), negated: true },
    })
}

fn nodes(list: *mut pg_sys::List) -> Vec<*mut pg_sys::Node> {
    unsafe { PgList::<pg_sys::Node>::from_pg(list).iter_ptr().collect() }
}

/// The result branches of a COALESCE, GREATEST / LEAST or CASE (its ELSE
/// last), or None for any other node.
unsafe fn branches(node: *mut pg_sys::Node) -> Option<Vec<*mut pg_sys::Node>> {
    match (*node).type_ {
        pg_sys::NodeTag::T_CoalesceExpr => Some(nodes((*(node as *mut pg_sys::CoalesceExpr)).args)),
        pg_sys::NodeTag::T_MinMaxExpr => Some(nodes((*(node as *mut pg_sys::MinMaxExpr)).args)),
        pg_sys::NodeTag::T_CaseExpr => {
            let c = &*(node as *mut pg_sys::CaseExpr);
            let mut results: Vec<_> = PgList::<pg_sys::CaseWhen>::from_pg(c.args).iter_ptr().map(|w| (*w).result as *mut pg_sys::Node).collect();
            if !c.defresult.is_null() {
                results.push(c.defresult as *mut pg_sys::Node);
            }
            Some(results)
        }
        _ => None,
    }
}

/// Numeric branches of a CASE, COALESCE, GREATEST or LEAST cast to one
/// scale, the largest. Left to DuckDB, decimals of different types unify
/// by keeping integer digits and dropping scale past 38 digits
/// (DECIMAL(38,0) with 61.500 gives 62), so branches whose scale is not
/// known are refused.
unsafe fn at_common_scale(ctx: &mut Ctx, result_type: pg_sys::Oid, nodes: Vec<*mut pg_sys::Node>, exprs: Vec<Expr>) -> Result<Vec<Expr>, Refusal> {
    if result_type != pg_sys::NUMERICOID {
        return Ok(exprs);
    }
    let mut scales = Vec::new();
    for &n in &nodes {
        match duck_scale(ctx, n) {
            Some(s) => scales.push(s),
            None => return refuse("numeric branches of unknown scale (DuckDB would unify their decimals by dropping digits)"),
        }
    }
    Ok(match (scales.iter().min(), scales.iter().max()) {
        (Some(lo), Some(&hi)) if *lo != hi => {
            exprs.into_iter().map(|e| Expr::Cast { arg: Box::new(e), ty: format!("DECIMAL(38,{hi})") }).collect()
        }
        _ => exprs,
    })
}

/// The scale of the DuckDB decimal a numeric expression deparses to: its
/// values' scale, or for a CASE / COALESCE / GREATEST / LEAST whose
/// branches differ, the largest (at_common_scale casts them to it).
unsafe fn duck_scale(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Option<u8> {
    if let Ok(s) = arg_scale(ctx, node) {
        return Some(s);
    }
    let mut max = 0;
    for b in branches(node)? {
        max = max.max(duck_scale(ctx, b)?);
    }
    Some(max)
}

unsafe fn case(ctx: &mut Ctx, c: *mut pg_sys::CaseExpr) -> Result<Expr, Refusal> {
    let c = &*c;
    if !c.arg.is_null() {
        // CASE x WHEN v …: the WHEN conditions compare a placeholder with v.
        if pg_sys::contain_volatile_functions(c.arg as *mut pg_sys::Node) {
            return refuse("CASE over a volatile expression");
        }
        ctx.case_tests.push(c.arg as *mut pg_sys::Node);
    }
    let result = (|| {
        let mut conditions = Vec::new();
        let mut results = Vec::new();
        let mut result_nodes = Vec::new();
        for w in PgList::<pg_sys::CaseWhen>::from_pg(c.args).iter_ptr() {
            conditions.push(deparse(ctx, (*w).expr as *mut pg_sys::Node)?);
            results.push(deparse(ctx, (*w).result as *mut pg_sys::Node)?);
            result_nodes.push((*w).result as *mut pg_sys::Node);
        }
        if !c.defresult.is_null() {
            results.push(deparse(ctx, c.defresult as *mut pg_sys::Node)?);
            result_nodes.push(c.defresult as *mut pg_sys::Node);
        }
        let mut results = at_common_scale(ctx, c.casetype, result_nodes, results)?;
        let otherwise = if c.defresult.is_null() { None } else { results.pop().map(Box::new) };
        Ok(Expr::Case { whens: conditions.into_iter().zip(results).collect(), otherwise })
    })();
    if !c.arg.is_null() {
        ctx.case_tests.pop();
    }
    result
}

unsafe fn sublink(ctx: &mut Ctx, s: *mut pg_sys::SubLink) -> Result<Expr, Refusal> {
    let s = &*s;
    let sub = s.subselect as *mut pg_sys::Query;
    let columns =
        PgList::<pg_sys::TargetEntry>::from_pg((*sub).targetList).iter_ptr().filter(|t| !(**t).resjunk).count();
    match s.subLinkType {
        pg_sys::SubLinkType::EXISTS_SUBLINK => Ok(Expr::Subquery { prefix: "EXISTS".into(), sql: nested_sql(ctx, sub)? }),
        pg_sys::SubLinkType::EXPR_SUBLINK if columns == 1 => {
            // DuckDB raises an error when more than one row comes back, as
            // PostgreSQL does (scalar_subquery_error_on_multiple_rows).
            Ok(Expr::Subquery { prefix: String::new(), sql: nested_sql(ctx, sub)? })
        }
        pg_sys::SubLinkType::ANY_SUBLINK | pg_sys::SubLinkType::ALL_SUBLINK if columns == 1 => {
            let t = s.testexpr;
            if t.is_null() || (*t).type_ != pg_sys::NodeTag::T_OpExpr {
                return refuse("a row-valued IN/ANY/ALL subquery");
            }
            let o = &*(t as *mut pg_sys::OpExpr);
            comparison_operands(o.opno, o.args, o.inputcollid, false)?;
            let left = PgList::<pg_sys::Node>::from_pg(o.args).get_ptr(0).ok_or("ANY without a left side")?;
            let name = CStr::from_ptr(pg_sys::get_opname(o.opno)).to_string_lossy().into_owned();
            let mut left_sql = deparse(ctx, left)?;
            if pg_sys::exprType(left) == pg_sys::NUMERICOID {
                // DuckDB casts the subquery's decimals to the left side's
                // type, rounding away digits when its scale is smaller
                // (2.5 = ANY(…) matching 3): compare at the larger scale.
                let target = PgList::<pg_sys::TargetEntry>::from_pg((*sub).targetList)
                    .iter_ptr()
                    .find(|t| !(**t).resjunk)
                    .ok_or("an ANY subquery without a column")?;
                let right_scale = match numeric_rule(pg_sys::exprTypmod((*target).expr as *mut pg_sys::Node)) {
                    NumericRule::Decimal { scale, .. } => scale,
                    _ => return refuse("an IN/ANY/ALL subquery over numerics of unknown scale"),
                };
                let left_scale = numeric_scale(ctx, left)?;
                if left_scale != right_scale {
                    left_sql = Expr::Cast { arg: Box::new(left_sql), ty: format!("DECIMAL(38,{})", left_scale.max(right_scale)) };
                }
            }
            Ok(Expr::Quantified {
                left: Box::new(left_sql),
                op: name,
                all: s.subLinkType == pg_sys::SubLinkType::ALL_SUBLINK,
                sql: nested_sql(ctx, sub)?,
            })
        }
        _ => refuse("a row-valued, ARRAY or multi-column subquery"),
    }
}

/// Aggregates DuckDB computes exactly as PostgreSQL does, with their
/// argument rules. Float sums may differ in the last bits from PostgreSQL's
/// because addition order differs (as between PostgreSQL's own serial and
/// parallel plans).
unsafe fn aggregate_call(name: &str, args: &[*mut pg_sys::Node], star: bool) -> Result<String, Refusal> {
    let t = |i: usize| args.get(i).map(|a| pg_sys::exprType(*a)).unwrap_or(pg_sys::InvalidOid);
    let ok = match (name, args.len()) {
        ("count", 0) if star => return Ok("count_star".into()),
        ("count", 1) => true,
        ("min" | "max", 1) => check_orderable(args[0]).is_ok(),
        ("sum", 1) => is_int(t(0)) || is_float(t(0)) || t(0) == pg_sys::NUMERICOID,
        ("avg", 1) => is_float(t(0)),
        ("bool_and" | "bool_or", 1) => true,
        ("every", 1) => return Ok("bool_and".into()),
        ("string_agg", 2) => is_text(t(0)) && is_text(t(1)),
        ("array_agg", 1) => duck_type(t(0), -1).is_ok() && pg_sys::get_element_type(t(0)) == pg_sys::InvalidOid,
        _ => false,
    };
    if !ok {
        let types: Vec<String> = (0..args.len()).map(|i| type_name(t(i))).collect();
        return refuse(format!("aggregate {name}({})", types.join(", ")));
    }
    Ok(name.to_string())
}

/// The PostgreSQL result type as a DuckDB cast, applied in every context
/// (DuckDB's sum(INTEGER) is HUGEINT, count is BIGINT, …).
unsafe fn cast_to_result(ctx: &mut Ctx, call: Expr, node: *mut pg_sys::Node) -> Result<Expr, Refusal> {
    Ok(Expr::Cast { arg: Box::new(call), ty: result_type(ctx, node)? })
}

unsafe fn aggregate(ctx: &mut Ctx, a: *mut pg_sys::Aggref) -> Result<Expr, Refusal> {
    let ar = &*a;
    if ar.aggkind != b'n' as std::ffi::c_char || ar.agglevelsup != 0 {
        return refuse("an ordered-set or outer-level aggregate");
    }
    let name = CStr::from_ptr(pg_sys::get_func_name(ar.aggfnoid)).to_string_lossy().into_owned();
    funcs::require_builtin(ar.aggfnoid, &name)?;
    // ORDER BY-only expressions are junk entries of the argument list.
    let args: Vec<*mut pg_sys::Node> = PgList::<pg_sys::TargetEntry>::from_pg(ar.args)
        .iter_ptr()
        .filter(|t| !(**t).resjunk)
        .map(|t| (*t).expr as *mut pg_sys::Node)
        .collect();
    let duck_name = aggregate_call(&name, &args, ar.aggstar)?;
    let distinct = !ar.aggdistinct.is_null();
    if distinct {
        for arg in &args {
            check_equality(*arg)?;
        }
    }
    let mut deparsed = Vec::new();
    for arg in &args {
        deparsed.push(deparse(ctx, *arg)?);
    }
    let order_by: Vec<OrderItem> = order_items(ctx, ar.aggorder, ar.args)?;
    let filter = if ar.aggfilter.is_null() { None } else { Some(Box::new(deparse(ctx, ar.aggfilter as *mut pg_sys::Node)?)) };
    let call = Expr::Aggregate { name: duck_name, distinct, args: deparsed, order_by, filter };
    cast_to_result(ctx, call, a as *mut pg_sys::Node)
}

unsafe fn window_function(ctx: &mut Ctx, w: *mut pg_sys::WindowFunc) -> Result<Expr, Refusal> {
    let wr = &*w;
    let name = CStr::from_ptr(pg_sys::get_func_name(wr.winfnoid)).to_string_lossy().into_owned();
    funcs::require_builtin(wr.winfnoid, &name)?;
    let args: Vec<*mut pg_sys::Node> = PgList::<pg_sys::Node>::from_pg(wr.args).iter_ptr().collect();
    let duck_name = if wr.winagg {
        aggregate_call(&name, &args, wr.winstar)?
    } else {
        match (name.as_str(), args.len()) {
            ("row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist", 0)
            | ("ntile", 1)
            | ("lag" | "lead", 1..=3)
            | ("first_value" | "last_value", 1)
            | ("nth_value", 2) => name.clone(),
            _ => return refuse(format!("window function {name}")),
        }
    };
    let mut deparsed = Vec::new();
    for arg in &args {
        deparsed.push(deparse(ctx, *arg)?);
    }
    let q = ctx.query();
    let clause = PgList::<pg_sys::WindowClause>::from_pg((*q).windowClause)
        .iter_ptr()
        .find(|c| (**c).winref == wr.winref)
        .ok_or("a window function without its window")?;
    let partition = equality_keys(ctx, (*clause).partitionClause)?;
    let order_by = order_items(ctx, (*clause).orderClause, (*q).targetList)?;
    let frame = frame(ctx, clause)?;
    if partition.iter().chain(order_by.iter().map(|o| &o.expr)).any(Expr::may_raise) {
        return refuse("a window key that may raise an error (DuckDB refuses volatile window keys)");
    }
    let call = if wr.winagg {
        let filter = if wr.aggfilter.is_null() { None } else { Some(Box::new(deparse(ctx, wr.aggfilter as *mut pg_sys::Node)?)) };
        Expr::Aggregate { name: duck_name, distinct: false, args: deparsed, order_by: vec![], filter }
    } else {
        Expr::Call { name: duck_name, args: deparsed }
    };
    cast_to_result(ctx, Expr::Window { call: Box::new(call), partition, order_by, frame }, w as *mut pg_sys::Node)
}

unsafe fn frame(ctx: &mut Ctx, c: *mut pg_sys::WindowClause) -> Result<Option<String>, Refusal> {
    let o = (*c).frameOptions as u32;
    if o & pg_sys::FRAMEOPTION_NONDEFAULT == 0 {
        return Ok(None);
    }
    let mode = if o & pg_sys::FRAMEOPTION_ROWS != 0 {
        "ROWS"
    } else if o & pg_sys::FRAMEOPTION_GROUPS != 0 {
        "GROUPS"
    } else {
        "RANGE"
    };
    let mut bound = |unb_pre: u32, unb_fol: u32, cur: u32, off_pre: u32, off_fol: u32, offset: *mut pg_sys::Node| -> Result<String, Refusal> {
        Ok(if o & unb_pre != 0 {
            "UNBOUNDED PRECEDING".into()
        } else if o & unb_fol != 0 {
            "UNBOUNDED FOLLOWING".into()
        } else if o & cur != 0 {
            "CURRENT ROW".into()
        } else if o & (off_pre | off_fol) != 0 {
            if offset.is_null() || pg_sys::contain_var_clause(offset) {
                return refuse("a window frame offset that is not a constant");
            }
            format!("{} {}", deparse(ctx, offset)?.render(), if o & off_pre != 0 { "PRECEDING" } else { "FOLLOWING" })
        } else {
            return refuse("an unknown window frame bound");
        })
    };
    let start = bound(
        pg_sys::FRAMEOPTION_START_UNBOUNDED_PRECEDING,
        pg_sys::FRAMEOPTION_START_UNBOUNDED_FOLLOWING,
        pg_sys::FRAMEOPTION_START_CURRENT_ROW,
        pg_sys::FRAMEOPTION_START_OFFSET_PRECEDING,
        pg_sys::FRAMEOPTION_START_OFFSET_FOLLOWING,
        (*c).startOffset,
    )?;
    let mut text = if o & pg_sys::FRAMEOPTION_BETWEEN != 0 {
        let end = bound(
            pg_sys::FRAMEOPTION_END_UNBOUNDED_PRECEDING,
            pg_sys::FRAMEOPTION_END_UNBOUNDED_FOLLOWING,
            pg_sys::FRAMEOPTION_END_CURRENT_ROW,
            pg_sys::FRAMEOPTION_END_OFFSET_PRECEDING,
            pg_sys::FRAMEOPTION_END_OFFSET_FOLLOWING,
            (*c).endOffset,
        )?;
        format!("{mode} BETWEEN {start} AND {end}")
    } else {
        format!("{mode} {start}")
    };
    if o & pg_sys::FRAMEOPTION_EXCLUDE_CURRENT_ROW != 0 {
        text.push_str(" EXCLUDE CURRENT ROW");
    } else if o & pg_sys::FRAMEOPTION_EXCLUDE_GROUP != 0 {
        text.push_str(" EXCLUDE GROUP");
    } else if o & pg_sys::FRAMEOPTION_EXCLUDE_TIES != 0 {
        text.push_str(" EXCLUDE TIES");
    }
    Ok(Some(text))
}

//! Expressions: only those whose DuckDB meaning is PostgreSQL's.

use std::ffi::CStr;

use duckam_logic::sql::Expr;
use duckam_logic::{naming, temporal};
use pgrx::pg_sys;
use pgrx::PgList;

use super::{alias, refuse, Ctx, Refusal};
use crate::types;

fn type_name(typid: pg_sys::Oid) -> String {
    unsafe { CStr::from_ptr(pg_sys::format_type_be(typid)).to_string_lossy().into_owned() }
}

fn is_int(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID)
}

fn is_float(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::FLOAT4OID | pg_sys::FLOAT8OID)
}

fn is_text(t: pg_sys::Oid) -> bool {
    matches!(t, pg_sys::TEXTOID | pg_sys::VARCHAROID)
}

/// Types whose default ordering is the same in both systems (byte order
/// for uuid, NaN last for floats, -infinity/infinity for dates).
fn orders_alike(t: pg_sys::Oid) -> bool {
    is_int(t)
        || is_float(t)
        || matches!(
            t,
            pg_sys::NUMERICOID | pg_sys::BOOLOID | pg_sys::DATEOID | pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID | pg_sys::UUIDOID
        )
}

unsafe extern "C-unwind" {
    // utils/pg_locale.h, not in pgrx's bindings
    fn lc_collate_is_c(collation: pg_sys::Oid) -> bool;
}

/// Text orders alike only under the C collation (DuckDB compares bytes).
fn text_orders_alike(collation: pg_sys::Oid) -> bool {
    unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| lc_collate_is_c(collation)) }
}

fn text_equality_alike(collation: pg_sys::Oid) -> bool {
    collation == pg_sys::InvalidOid || unsafe { pg_sys::get_collation_isdeterministic(collation) }
}

pub unsafe fn check_orderable(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    let t = pg_sys::exprType(node);
    if orders_alike(t) || (is_text(t) && text_orders_alike(pg_sys::exprCollation(node))) {
        Ok(())
    } else {
        refuse(format!("ordering {} values (collation or type order differs in DuckDB)", type_name(t)))
    }
}

/// DuckDB type spelling for a PostgreSQL type, if it has an exact one.
unsafe fn duck_type(typid: pg_sys::Oid, typmod: i32) -> Result<String, Refusal> {
    types::column_kind("", typid, typmod)
        .map(|(_, d)| d.sql())
        .map_err(|_| format!("a value of type {}", type_name(typid)))
}

/// An output column: cast to the exact DuckDB type of its PostgreSQL type,
/// so it is read back by the same converters as table columns.
pub unsafe fn deparse_output(ctx: &Ctx, node: *mut pg_sys::Node) -> Result<Expr, Refusal> {
    let ty = duck_type(pg_sys::exprType(node), pg_sys::exprTypmod(node))?;
    Ok(Expr::Cast { arg: Box::new(deparse(ctx, node)?), ty })
}

pub unsafe fn limit(ctx: &Ctx, node: *mut pg_sys::Node) -> Result<Option<Expr>, Refusal> {
    if (*node).type_ == pg_sys::NodeTag::T_Const && (*(node as *mut pg_sys::Const)).constisnull {
        return Ok(None);
    }
    if pg_sys::contain_var_clause(node) || pg_sys::contain_volatile_functions(node) {
        return refuse("a LIMIT/OFFSET that is not a constant");
    }
    Ok(Some(deparse(ctx, node)?))
}

pub unsafe fn deparse(ctx: &Ctx, node: *mut pg_sys::Node) -> Result<Expr, Refusal> {
    match (*node).type_ {
        pg_sys::NodeTag::T_Var => var(ctx, node as *mut pg_sys::Var),
        pg_sys::NodeTag::T_Const => constant(node as *mut pg_sys::Const),
        pg_sys::NodeTag::T_RelabelType => deparse(ctx, (*(node as *mut pg_sys::RelabelType)).arg as *mut pg_sys::Node),
        pg_sys::NodeTag::T_OpExpr => op(ctx, node as *mut pg_sys::OpExpr),
        pg_sys::NodeTag::T_BoolExpr => {
            let b = &*(node as *mut pg_sys::BoolExpr);
            let args = PgList::<pg_sys::Node>::from_pg(b.args)
                .iter_ptr()
                .map(|a| deparse(ctx, a))
                .collect::<Result<Vec<_>, _>>()?;
            match b.boolop {
                pg_sys::BoolExprType::AND_EXPR => Ok(Expr::Logical { and: true, args }),
                pg_sys::BoolExprType::OR_EXPR => Ok(Expr::Logical { and: false, args }),
                _ => Ok(Expr::Not(Box::new(args.into_iter().next().ok_or("NOT without argument")?))),
            }
        }
        pg_sys::NodeTag::T_NullTest => {
            let n = &*(node as *mut pg_sys::NullTest);
            if n.argisrow {
                return refuse("IS NULL on a row value");
            }
            Ok(Expr::IsNull {
                arg: Box::new(deparse(ctx, n.arg as *mut pg_sys::Node)?),
                negated: n.nulltesttype == pg_sys::NullTestType::IS_NOT_NULL,
            })
        }
        pg_sys::NodeTag::T_Aggref => aggregate(ctx, node as *mut pg_sys::Aggref),
        pg_sys::NodeTag::T_FuncExpr => cast(ctx, node as *mut pg_sys::FuncExpr),
        _ => {
            let tag = CStr::from_ptr(pg_sys::nodeToString(node as *const _)).to_string_lossy();
            let kind = tag.trim_start_matches('{').split([' ', '}']).next().unwrap_or("?").to_lowercase();
            refuse(format!("an expression of kind {kind}"))
        }
    }
}

unsafe fn var(ctx: &Ctx, v: *mut pg_sys::Var) -> Result<Expr, Refusal> {
    let v = &*v;
    if v.varlevelsup != 0 {
        return refuse("an outer-level reference");
    }
    if v.varattno <= 0 {
        return refuse("a system column or whole-row reference");
    }
    let rte = ctx.rte(v.varno as u32)?;
    match (*rte).rtekind {
        pg_sys::RTEKind::RTE_RELATION => Ok(Expr::column(&alias(v.varno as u32), &naming::column_name(v.varattno))),
        pg_sys::RTEKind::RTE_JOIN => {
            let target = PgList::<pg_sys::Node>::from_pg((*rte).joinaliasvars)
                .get_ptr(v.varattno as usize - 1)
                .filter(|p| !p.is_null())
                .ok_or("a dropped join column")?;
            deparse(ctx, target)
        }
        _ => refuse("a column of a non-table FROM item"),
    }
}

unsafe fn output_text(typid: pg_sys::Oid, d: pg_sys::Datum) -> String {
    let (mut out, mut varlena) = (pg_sys::InvalidOid, false);
    pg_sys::getTypeOutputInfo(typid, &mut out, &mut varlena);
    CStr::from_ptr(pg_sys::OidOutputFunctionCall(out, d)).to_string_lossy().into_owned()
}

unsafe fn constant(c: *mut pg_sys::Const) -> Result<Expr, Refusal> {
    let c = &*c;
    if c.constisnull {
        let ty = duck_type(c.consttype, c.consttypmod)?;
        return Ok(Expr::Cast { arg: Box::new(Expr::Null), ty });
    }
    let lit = |text: String, ty: &str| Ok(Expr::Literal { text, ty: ty.into() });
    match c.consttype {
        pg_sys::BOOLOID => Ok(Expr::Bool(c.constvalue.value() != 0)),
        pg_sys::INT2OID => lit(output_text(c.consttype, c.constvalue), "SMALLINT"),
        pg_sys::INT4OID => lit(output_text(c.consttype, c.constvalue), "INTEGER"),
        pg_sys::INT8OID => lit(output_text(c.consttype, c.constvalue), "BIGINT"),
        pg_sys::FLOAT4OID => lit(output_text(c.consttype, c.constvalue), "FLOAT"),
        pg_sys::FLOAT8OID => lit(output_text(c.consttype, c.constvalue), "DOUBLE"),
        pg_sys::NUMERICOID => {
            let text = output_text(c.consttype, c.constvalue);
            let (int_digits, scale) = match text.trim_start_matches('-').split_once('.') {
                Some((i, f)) => (i.len(), f.len()),
                None => (text.trim_start_matches('-').len(), 0),
            };
            if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') || int_digits + scale > 38 {
                return refuse(format!("the numeric constant {text}"));
            }
            lit(text, &format!("DECIMAL({},{scale})", (int_digits + scale).max(1)))
        }
        pg_sys::TEXTOID | pg_sys::VARCHAROID => lit(output_text(c.consttype, c.constvalue), "VARCHAR"),
        pg_sys::UUIDOID => lit(output_text(c.consttype, c.constvalue), "UUID"),
        pg_sys::DATEOID => {
            let days = temporal::date_pg_to_duck(c.constvalue.value() as i32).map_err(|_| "a date constant out of range")?;
            lit(temporal::iso_date(days).ok_or("a date constant outside years 1-9999")?, "DATE")
        }
        pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID => {
            let t = temporal::timestamp_pg_to_duck(c.constvalue.value() as i64).map_err(|_| "a timestamp constant out of range")?;
            let text = temporal::iso_timestamp(t).ok_or("a timestamp constant outside years 1-9999")?;
            if c.consttype == pg_sys::TIMESTAMPOID {
                lit(text, "TIMESTAMP")
            } else {
                lit(format!("{text}+00"), "TIMESTAMP WITH TIME ZONE")
            }
        }
        t => refuse(format!("a constant of type {}", type_name(t))),
    }
}

unsafe fn op(ctx: &Ctx, o: *mut pg_sys::OpExpr) -> Result<Expr, Refusal> {
    let o = &*o;
    let name = CStr::from_ptr(pg_sys::get_opname(o.opno)).to_string_lossy().into_owned();
    let args = PgList::<pg_sys::Node>::from_pg(o.args);
    let refused = || refuse(format!("operator {name} on these types"));
    match args.len() {
        2 => {
            let (l, r) = (args.get_ptr(0).unwrap(), args.get_ptr(1).unwrap());
            let (lt, rt) = (pg_sys::exprType(l), pg_sys::exprType(r));
            let ordering = matches!(name.as_str(), "<" | "<=" | ">" | ">=");
            let equality = matches!(name.as_str(), "=" | "<>");
            let ok = if ordering || equality {
                (is_int(lt) && is_int(rt))
                    || (is_float(lt) && is_float(rt))
                    || (lt == rt && orders_alike(lt))
                    || (is_text(lt)
                        && is_text(rt)
                        && if ordering { text_orders_alike(o.inputcollid) } else { text_equality_alike(o.inputcollid) })
            } else if matches!(name.as_str(), "+" | "-" | "*") {
                // Integer arithmetic: both systems compute in the wider type
                // and raise an error on overflow.
                is_int(lt) && is_int(rt)
            } else if name == "||" {
                is_text(lt) && is_text(rt)
            } else {
                false
            };
            if !ok {
                return refused();
            }
            Ok(Expr::binary(&name, deparse(ctx, l)?, deparse(ctx, r)?))
        }
        1 if name == "-" && is_int(o.opresulttype) => {
            Ok(Expr::Unary { op: "-".into(), arg: Box::new(deparse(ctx, args.get_ptr(0).unwrap())?) })
        }
        _ => refused(),
    }
}

/// Casts between numeric types whose results agree: integer widening and
/// narrowing (both raise an error on overflow), integer to float and to
/// numeric. Float/numeric to integer rounding differs, so it is refused.
unsafe fn cast(ctx: &Ctx, f: *mut pg_sys::FuncExpr) -> Result<Expr, Refusal> {
    let f = &*f;
    let is_cast = matches!(
        f.funcformat,
        pg_sys::CoercionForm::COERCE_IMPLICIT_CAST | pg_sys::CoercionForm::COERCE_EXPLICIT_CAST
    );
    let args = PgList::<pg_sys::Node>::from_pg(f.args);
    if !is_cast || args.len() != 1 {
        let name = CStr::from_ptr(pg_sys::get_func_name(f.funcid)).to_string_lossy().into_owned();
        return refuse(format!("function {name}()"));
    }
    let arg = args.get_ptr(0).unwrap();
    let (from, to) = (pg_sys::exprType(arg), f.funcresulttype);
    let ty = match to {
        _ if !is_int(from) => None,
        pg_sys::INT2OID => Some("SMALLINT"),
        pg_sys::INT4OID => Some("INTEGER"),
        pg_sys::INT8OID => Some("BIGINT"),
        pg_sys::FLOAT4OID => Some("FLOAT"),
        pg_sys::FLOAT8OID => Some("DOUBLE"),
        pg_sys::NUMERICOID => Some("DECIMAL(38,0)"),
        _ => None,
    };
    match ty {
        Some(ty) => Ok(Expr::Cast { arg: Box::new(deparse(ctx, arg)?), ty: ty.into() }),
        None => refuse(format!("a cast from {} to {}", type_name(from), type_name(to))),
    }
}

unsafe fn aggregate(ctx: &Ctx, a: *mut pg_sys::Aggref) -> Result<Expr, Refusal> {
    let a = &*a;
    if !a.aggfilter.is_null() || !a.aggorder.is_null() || !a.aggdistinct.is_null() {
        return refuse("an aggregate with FILTER, ORDER BY or DISTINCT");
    }
    if a.aggkind != b'n' as std::ffi::c_char || a.agglevelsup != 0 {
        return refuse("an ordered-set or outer-level aggregate");
    }
    let name = CStr::from_ptr(pg_sys::get_func_name(a.aggfnoid)).to_string_lossy().into_owned();
    let args = PgList::<pg_sys::TargetEntry>::from_pg(a.args);
    let call = if a.aggstar {
        if name != "count" {
            return refuse(format!("{name}(*)"));
        }
        Expr::Call { name: "count_star".into(), args: vec![] }
    } else {
        if args.len() != 1 {
            return refuse(format!("aggregate {name} with {} arguments", args.len()));
        }
        let arg = (*args.get_ptr(0).unwrap()).expr as *mut pg_sys::Node;
        let at = pg_sys::exprType(arg);
        let ok = match name.as_str() {
            "count" => true,
            "min" | "max" => check_orderable(arg).is_ok(),
            "sum" => is_int(at) && at != pg_sys::INT8OID || is_float(at),
            _ => false,
        };
        if !ok {
            return refuse(format!("aggregate {name}({})", type_name(at)));
        }
        Expr::Call { name, args: vec![deparse(ctx, arg)?] }
    };
    // DuckDB's result types differ (sum(INTEGER) is HUGEINT): cast to the
    // PostgreSQL result type in every context, not only at the output.
    Ok(Expr::Cast { arg: Box::new(call), ty: duck_type(a.aggtype, -1)? })
}

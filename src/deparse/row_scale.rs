//! Per-row display scale of a numeric expression whose values do not all
//! share one (`CASE WHEN … THEN price * (1 - discount) ELSE 0 END`: scale 4
//! or 0 row by row; a numeric column without a precision, whose stored
//! text has each value's scale). PostgreSQL numerics carry a scale per value; DuckDB
//! decimals one per column. For such an expression DuckDB computes the
//! value at the largest scale it can have plus, beside it, the scale
//! PostgreSQL would give each row, so PostgreSQL can restore it
//! (output::mixed_scale_sum).
//!
//! Every branch is cast to DECIMAL(38, largest) inside the expression:
//! left to itself DuckDB unifies DECIMAL(10,2) with DECIMAL(38,0) as
//! DECIMAL(38,0) and rounds the cents away.

use std::ffi::CStr;

use duckam_logic::sql::Expr;
use duckam_logic::types::UNCONSTRAINED_SCALE;
use pgrx::pg_sys;
use pgrx::PgList;

use super::expr::{deparse, numeric_scale, stored_scale, stored_unconstrained, stored_value};
use super::funcs::{call, lit};
use super::{refuse, Ctx, Refusal};

/// A mixed-scale numeric expression in DuckDB.
pub struct RowScale {
    /// The value as DECIMAL(38, max).
    pub value: Expr,
    /// The scale PostgreSQL gives this row's value (INTEGER).
    pub per_row: Expr,
    pub max: u8,
}

enum Shape {
    Fixed(u8),
    /// A stored unconstrained numeric: its text has its scale.
    Stored(Expr),
    Case,
    Coalesce,
    AddSub(String),
    Negate,
}

unsafe fn args_of(list: *mut pg_sys::List) -> Vec<*mut pg_sys::Node> {
    PgList::<pg_sys::Node>::from_pg(list).iter_ptr().collect()
}

/// The expressions whose scales combine into `node`'s: CASE results (the
/// default last), COALESCE arguments, operands. numeric_add/sub keep the
/// larger scale; products are left out (DuckDB's decimal product widths
/// differ from PostgreSQL's).
unsafe fn shape(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<(Shape, Vec<*mut pg_sys::Node>), Refusal> {
    if let Ok(s) = numeric_scale(ctx, node) {
        return Ok((Shape::Fixed(s), vec![]));
    }
    if let Some(text) = stored_unconstrained(ctx, node) {
        return Ok((Shape::Stored(text), vec![]));
    }
    let unknown = || refuse("a numeric result whose scale DuckDB cannot reproduce");
    match (*node).type_ {
        pg_sys::NodeTag::T_CaseExpr if (*(node as *mut pg_sys::CaseExpr)).arg.is_null() => {
            let c = &*(node as *mut pg_sys::CaseExpr);
            let mut parts: Vec<_> =
                PgList::<pg_sys::CaseWhen>::from_pg(c.args).iter_ptr().map(|w| (*w).result as *mut pg_sys::Node).collect();
            if !c.defresult.is_null() {
                parts.push(c.defresult as *mut pg_sys::Node);
            }
            Ok((Shape::Case, parts))
        }
        pg_sys::NodeTag::T_CoalesceExpr => Ok((Shape::Coalesce, args_of((*(node as *mut pg_sys::CoalesceExpr)).args))),
        pg_sys::NodeTag::T_OpExpr => {
            let o = &*(node as *mut pg_sys::OpExpr);
            let name = CStr::from_ptr(pg_sys::get_opname(o.opno)).to_string_lossy().into_owned();
            let args = args_of(o.args);
            match (name.as_str(), args.len()) {
                ("+" | "-", 2) => Ok((Shape::AddSub(name), args)),
                ("-", 1) => Ok((Shape::Negate, args)),
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}

/// The largest scale any value of `node` can have.
pub unsafe fn max_scale(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<u8, Refusal> {
    let (shape, parts) = shape(ctx, node)?;
    let mut max = match shape {
        Shape::Fixed(s) => s,
        Shape::Stored(_) => UNCONSTRAINED_SCALE,
        _ => 0,
    };
    for p in parts {
        max = max.max(max_scale(ctx, p)?);
    }
    Ok(max)
}

/// `node` as DECIMAL(38, `at`) with its per-row scale; `at` is at least
/// max_scale(node).
pub unsafe fn row_scale(ctx: &mut Ctx, node: *mut pg_sys::Node, at: u8) -> Result<RowScale, Refusal> {
    let decimal = format!("DECIMAL(38,{at})");
    let (shape, parts) = shape(ctx, node)?;
    let mut inner = Vec::with_capacity(parts.len());
    for p in &parts {
        inner.push(row_scale(ctx, *p, at)?);
    }
    let (value, per_row) = match shape {
        Shape::Fixed(s) => (Expr::Cast { arg: Box::new(deparse(ctx, node)?), ty: decimal }, lit(&s.to_string(), "INTEGER")),
        Shape::Stored(text) => (Expr::Cast { arg: Box::new(stored_value(text.clone())), ty: decimal }, stored_scale(text)),
        Shape::Case => {
            let c = &*(node as *mut pg_sys::CaseExpr);
            let conditions = PgList::<pg_sys::CaseWhen>::from_pg(c.args)
                .iter_ptr()
                .map(|w| deparse(ctx, (*w).expr as *mut pg_sys::Node))
                .collect::<Result<Vec<_>, _>>()?;
            let (mut values, mut scales) = (Vec::new(), Vec::new());
            for r in inner {
                values.push(r.value);
                scales.push(r.per_row);
            }
            let (default_value, default_scale) =
                if c.defresult.is_null() { (None, None) } else { (values.pop().map(Box::new), scales.pop().map(Box::new)) };
            (
                Expr::Case { whens: conditions.iter().cloned().zip(values).collect(), otherwise: default_value },
                Expr::Case { whens: conditions.into_iter().zip(scales).collect(), otherwise: default_scale },
            )
        }
        // The scale of the first argument that is not NULL.
        Shape::Coalesce => {
            let whens = inner.iter().map(|r| (Expr::IsNull { arg: Box::new(r.value.clone()), negated: true }, r.per_row.clone())).collect();
            (call("coalesce", inner.into_iter().map(|r| r.value).collect()), Expr::Case { whens, otherwise: None })
        }
        Shape::AddSub(op) => {
            let mut it = inner.into_iter();
            let (l, r) = (it.next().ok_or("an operator without operands")?, it.next().ok_or("an operator without operands")?);
            (Expr::binary(&op, l.value, r.value), call("greatest", vec![l.per_row, r.per_row]))
        }
        Shape::Negate => {
            let x = inner.into_iter().next().ok_or("an operator without operands")?;
            (Expr::Unary { op: "-".into(), arg: Box::new(x.value) }, x.per_row)
        }
    };
    Ok(RowScale { value, per_row, max: at })
}

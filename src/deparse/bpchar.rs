//! char(n) — PostgreSQL's bpchar — in DuckDB. Stored values keep
//! PostgreSQL's padding to n characters (DuckDB sees VARCHAR), while
//! PostgreSQL compares them without trailing spaces. Each comparison is
//! spelled so that DuckDB's byte comparison gives PostgreSQL's answer:
//! raw bytes where both sides are padded to the same n (the fast path for
//! joins and constants against columns), trailing spaces trimmed otherwise.

use duckam_logic::bpchar::{padded_to, trimmed};
use duckam_logic::sql::Expr;
use pgrx::pg_sys;

use super::collation;
use super::expr::{deparse, output_text, ArrayItem};
use super::funcs::{call, const_text, lit};
use super::{refuse, Ctx, Refusal};

/// n of a char(n) typmod.
pub fn length_of_typmod(typmod: i32) -> Option<usize> {
    (typmod >= pg_sys::VARHDRSZ as i32).then(|| (typmod - pg_sys::VARHDRSZ as i32) as usize)
}

/// n when every value of the expression is padded to exactly n characters
/// (PostgreSQL tracks a typmod only when that holds).
unsafe fn exact_length(node: *mut pg_sys::Node) -> Option<usize> {
    length_of_typmod(pg_sys::exprTypmod(node))
}

/// Both sides are padded to the same n, so byte equality is PostgreSQL's
/// equality (joins, IN subqueries, IS DISTINCT FROM between char columns).
pub unsafe fn same_padding(l: *mut pg_sys::Node, r: *mut pg_sys::Node) -> bool {
    exact_length(l).is_some() && pg_sys::exprTypmod(l) == pg_sys::exprTypmod(r)
}

fn null() -> Expr {
    Expr::Cast { arg: Box::new(Expr::Null), ty: "VARCHAR".into() }
}

fn trim(e: Expr) -> Expr {
    call("rtrim", vec![e, lit(" ", "VARCHAR")])
}

/// A non-null constant's text padded to n characters; None when it is not
/// a constant or cannot equal any char(n) value.
unsafe fn padded_constant(node: *mut pg_sys::Node, n: usize) -> Option<Expr> {
    padded_to(&const_text(node)?, n).map(|text| lit(&text, "VARCHAR"))
}

/// bpchar → text or varchar: PostgreSQL drops the trailing spaces.
pub fn to_text(e: Expr) -> Expr {
    trim(e)
}

/// Both sides of `l op r` over char values, in forms whose byte comparison
/// is PostgreSQL's.
pub unsafe fn comparison(
    ctx: &mut Ctx,
    op: &str,
    l: *mut pg_sys::Node,
    r: *mut pg_sys::Node,
    collation: pg_sys::Oid,
) -> Result<Expr, Refusal> {
    let equality = matches!(op, "=" | "<>");
    let agrees = if equality { collation::equality_by_bytes(collation) } else { collation::orders_by_bytes(collation) };
    if !agrees {
        return refuse(format!("operator {op} on character values under this collation"));
    }
    if equality {
        if same_padding(l, r) {
            return Ok(Expr::binary(op, deparse(ctx, l)?, deparse(ctx, r)?));
        }
        match (exact_length(l), exact_length(r)) {
            (Some(n), None) => {
                if let Some(c) = padded_constant(r, n) {
                    return Ok(Expr::binary(op, deparse(ctx, l)?, c));
                }
            }
            (None, Some(n)) => {
                if let Some(c) = padded_constant(l, n) {
                    return Ok(Expr::binary(op, c, deparse(ctx, r)?));
                }
            }
            _ => {}
        }
    }
    Ok(Expr::binary(op, trim(deparse(ctx, l)?), trim(deparse(ctx, r)?)))
}

/// `x IN (…)` / `x NOT IN (…)` over char values: the list padded to x's
/// length when x has one and every item is a constant that fits, every
/// side trimmed otherwise.
pub unsafe fn in_list(
    ctx: &mut Ctx,
    x: *mut pg_sys::Node,
    items: &[ArrayItem],
    collation: pg_sys::Oid,
    negated: bool,
) -> Result<Expr, Refusal> {
    if !collation::equality_by_bytes(collation) {
        return refuse("IN over character values under a nondeterministic collation");
    }
    if let Some(n) = exact_length(x) {
        let padded: Option<Vec<Expr>> = items
            .iter()
            .map(|i| match i {
                ArrayItem::Datum(d) => padded_to(&output_text(pg_sys::BPCHAROID, *d), n).map(|p| lit(&p, "VARCHAR")),
                ArrayItem::Null => Some(null()),
                ArrayItem::Node(node) => padded_constant(*node, n),
            })
            .collect();
        if let Some(list) = padded {
            return Ok(Expr::InList { arg: Box::new(deparse(ctx, x)?), list, negated });
        }
    }
    let mut list = Vec::with_capacity(items.len());
    for i in items {
        list.push(match i {
            ArrayItem::Datum(d) => lit(trimmed(&output_text(pg_sys::BPCHAROID, *d)), "VARCHAR"),
            ArrayItem::Null => null(),
            ArrayItem::Node(node) => trim(deparse(ctx, *node)?),
        });
    }
    Ok(Expr::InList { arg: Box::new(trim(deparse(ctx, x)?)), list, negated })
}

/// ORDER BY key of a char expression: PostgreSQL orders without trailing
/// spaces (a padded 'a' sorts before 'a' followed by a tab).
pub unsafe fn sort_key(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<Expr, Refusal> {
    if !collation::orders_by_bytes(pg_sys::exprCollation(node)) {
        return refuse("ordering character values (collation order differs in DuckDB)");
    }
    Ok(trim(deparse(ctx, node)?))
}

//! The top-level target list. Each output column is either computed whole
//! by DuckDB, or — when only its inputs can be and it is not a sort or
//! group key — finished by PostgreSQL over DuckDB-computed columns:
//! `avg(int)` becomes numeric_div(sum, count) exactly as PostgreSQL's own
//! avg does it, `to_char(d, …)` is PostgreSQL's to_char over a DuckDB
//! column, numeric division is PostgreSQL's, and so on.

use std::ffi::{c_void, CStr};

use duckam_logic::sql::Expr;
use pgrx::pg_sys;
use pgrx::PgList;

use super::expr::{self, check_equality, deparse, numeric_typmod, result_type_and_scale};
use super::query;
use super::row_scale::{max_scale, row_scale};
use super::{refuse, Ctx, Refusal};

pub struct Deparsed {
    pub sql: String,
    /// Typed stand-ins for the columns DuckDB returns (the scan tuple);
    /// copies, safe from the planner's scribbling.
    pub scan: Vec<*mut pg_sys::Expr>,
    /// The statement's output columns: expressions over INDEX_VAR Vars of
    /// `scan`, ready for the executor.
    pub targets: Vec<*mut pg_sys::TargetEntry>,
    /// PostgreSQL parameter ids and types, in DuckDB `$n` order.
    pub params: Vec<(i32, pg_sys::Oid)>,
    /// For UPDATE / DELETE / INSERT: the storage (relfilenode) changed.
    pub writes: Option<u32>,
    /// What the SQL's `pg_heap(k)` read (deparse::heap::scan_source).
    pub heap_scans: Vec<*mut pg_sys::Node>,
}

#[derive(Default)]
pub struct Columns {
    pub exprs: Vec<(Expr, String)>,
    pub scan: Vec<*mut pg_sys::Expr>,
}

impl Columns {
    /// Adds a DuckDB output column; returns the Var that reads it.
    unsafe fn add(&mut self, e: Expr, stand_in: *mut pg_sys::Expr) -> *mut pg_sys::Node {
        self.exprs.push((e, format!("o{}", self.exprs.len() + 1)));
        self.scan.push(stand_in);
        let node = stand_in as *mut pg_sys::Node;
        pg_sys::makeVar(
            pg_sys::INDEX_VAR,
            self.scan.len() as i16,
            pg_sys::exprType(node),
            pg_sys::exprTypmod(node),
            pg_sys::exprCollation(node),
            0,
        ) as *mut pg_sys::Node
    }
}

pub unsafe fn top_level(ctx: &mut Ctx, q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let mut select = query::select_body(ctx)?;
    let (columns, targets) = outputs(ctx, q, (*q).targetList)?;
    if targets.is_empty() {
        return refuse("a query without output columns");
    }
    select.targets = columns.exprs;
    Ok(Deparsed { sql: select.render(), scan: columns.scan, targets, params: ctx.params.clone(), writes: None, heap_scans: ctx.heap_scans.clone() })
}

/// The DuckDB columns and the PostgreSQL outputs over them for a target
/// list (a SELECT's, or a RETURNING list).
pub unsafe fn outputs(
    ctx: &mut Ctx,
    q: *mut pg_sys::Query,
    tlist: *mut pg_sys::List,
) -> Result<(Columns, Vec<*mut pg_sys::TargetEntry>), Refusal> {
    let mut columns = Columns::default();
    let mut targets = Vec::new();
    for tle in PgList::<pg_sys::TargetEntry>::from_pg(tlist).iter_ptr() {
        if (*tle).resjunk {
            continue;
        }
        let node = (*tle).expr as *mut pg_sys::Node;
        let computed = match ship(ctx, &mut columns, q, node) {
            Ok(var) => var,
            // A sort or group key must be DuckDB's; anything else may be
            // finished by PostgreSQL.
            Err(e) if (*tle).ressortgroupref != 0 => return Err(e),
            Err(_) => split(ctx, &mut columns, q, node)?,
        };
        pg_sys::fix_opfuncids(computed);
        targets.push(pg_sys::makeTargetEntry(computed as *mut pg_sys::Expr, targets.len() as i16 + 1, (*tle).resname, false));
    }
    Ok((columns, targets))
}

/// DuckDB computes `node` whole: a column cast to the exact DuckDB type its
/// PostgreSQL type is read back from.
unsafe fn ship(ctx: &mut Ctx, columns: &mut Columns, q: *mut pg_sys::Query, node: *mut pg_sys::Node) -> Result<*mut pg_sys::Node, Refusal> {
    if let Some(text) = expr::stored_unconstrained(ctx, node) {
        // Its stored text, read back by numeric_in: each value's own scale.
        // Grouped, the key DuckDB compares is the value, which is not the
        // text (1.0 and 1.00 are one group).
        let qr = &*q;
        if !qr.groupClause.is_null() || !qr.groupingSets.is_null() || !qr.distinctClause.is_null() {
            return refuse("grouping by a numeric column without a precision");
        }
        let stand_in = pg_sys::copyObjectImpl(node as *const c_void) as *mut pg_sys::Expr;
        return Ok(columns.add(text, stand_in));
    }
    let params = ctx.params.len();
    let attempt: Result<(Expr, (String, Option<u8>)), Refusal> = (|| Ok((deparse(ctx, node)?, result_type_and_scale(ctx, node)?)))();
    let (e, (ty, unconstrained_scale)) = attempt.inspect_err(|_| ctx.params.truncate(params))?;
    let mut stand_in = pg_sys::flatten_join_alias_vars(q, pg_sys::copyObjectImpl(node as *const c_void) as *mut pg_sys::Node);
    if let Some(scale) = unconstrained_scale {
        // Read back as numeric(38, s): the scale every value has.
        stand_in = pg_sys::makeRelabelType(
            stand_in as *mut pg_sys::Expr,
            pg_sys::NUMERICOID,
            numeric_typmod(scale),
            pg_sys::InvalidOid,
            pg_sys::CoercionForm::COERCE_IMPLICIT_CAST,
        ) as *mut pg_sys::Node;
    }
    let var = columns.add(Expr::Cast { arg: Box::new(e), ty }, stand_in as *mut pg_sys::Expr);
    // The output keeps PostgreSQL's typmod (numeric without one stays so).
    (*(var as *mut pg_sys::Var)).vartypmod = pg_sys::exprTypmod(node);
    Ok(var)
}

struct Split<'a> {
    ctx: &'a mut Ctx,
    columns: &'a mut Columns,
    q: *mut pg_sys::Query,
    refusal: Option<Refusal>,
}

/// PostgreSQL evaluates `node`, reading from DuckDB every maximal
/// subexpression DuckDB can compute.
unsafe fn split(ctx: &mut Ctx, columns: &mut Columns, q: *mut pg_sys::Query, node: *mut pg_sys::Node) -> Result<*mut pg_sys::Node, Refusal> {
    let mut s = Split { ctx, columns, q, refusal: None };
    let out = split_node(&mut s, node);
    match s.refusal {
        Some(r) => Err(r),
        None => Ok(out),
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn split_mutator(node: *mut pg_sys::Node, cx: *mut c_void) -> *mut pg_sys::Node {
    split_node(&mut *(cx as *mut Split), node)
}

unsafe fn split_node(s: &mut Split, node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    if node.is_null() || s.refusal.is_some() {
        return node;
    }
    if matches!((*node).type_, pg_sys::NodeTag::T_Const | pg_sys::NodeTag::T_Param | pg_sys::NodeTag::T_CaseTestExpr) {
        return pg_sys::copyObjectImpl(node as *const c_void) as *mut pg_sys::Node;
    }
    let shipped = ship(s.ctx, s.columns, s.q, node);
    let why = match shipped {
        Ok(var) => return var,
        Err(why) => why,
    };
    let aggregate_name = if (*node).type_ == pg_sys::NodeTag::T_Aggref { aggregate_name(node as *mut pg_sys::Aggref) } else { String::new() };
    if aggregate_name == "min" || aggregate_name == "max" {
        if let Some(extreme) = stored_extreme(s, node as *mut pg_sys::Aggref, &aggregate_name) {
            return extreme;
        }
    }
    if aggregate_name == "avg" || aggregate_name == "sum" {
        let finished = if aggregate_name == "avg" {
            average(s, node as *mut pg_sys::Aggref)
        } else {
            mixed_scale_sum(s, node as *mut pg_sys::Aggref)
        };
        return match finished {
            Ok(n) => n,
            Err(r) => {
                // A sum that is not of mixed scales failed for its own reason.
                s.refusal = Some(if aggregate_name == "sum" { why } else { r });
                node
            }
        };
    }
    if matches!(
        (*node).type_,
        pg_sys::NodeTag::T_Var | pg_sys::NodeTag::T_Aggref | pg_sys::NodeTag::T_WindowFunc | pg_sys::NodeTag::T_SubLink | pg_sys::NodeTag::T_GroupingFunc
    ) {
        s.refusal = Some(why);
        return node;
    }
    let mutator: unsafe extern "C-unwind" fn() -> *mut pg_sys::Node =
        std::mem::transmute(split_mutator as unsafe extern "C-unwind" fn(*mut pg_sys::Node, *mut c_void) -> *mut pg_sys::Node);
    pg_sys::expression_tree_mutator(node, Some(mutator), s as *mut Split as *mut c_void)
}

unsafe fn aggregate_name(a: *mut pg_sys::Aggref) -> String {
    CStr::from_ptr(pg_sys::get_func_name((*a).aggfnoid)).to_string_lossy().into_owned()
}

/// A numeric function call PostgreSQL evaluates over DuckDB's columns.
unsafe fn numeric_call(oid: u32, args: Vec<*mut pg_sys::Node>) -> *mut pg_sys::Node {
    let mut list = PgList::<pg_sys::Node>::new();
    for a in args {
        list.push(a);
    }
    pg_sys::makeFuncExpr(
        pg_sys::Oid::from(oid),
        pg_sys::NUMERICOID,
        list.into_pg(),
        pg_sys::InvalidOid,
        pg_sys::InvalidOid,
        pg_sys::CoercionForm::COERCE_EXPLICIT_CALL,
    ) as *mut pg_sys::Node
}

/// The single plain argument of a top-level aggregate, if it is one.
unsafe fn plain_argument(a: *mut pg_sys::Aggref) -> Option<*mut pg_sys::Node> {
    let ar = &*a;
    let args = PgList::<pg_sys::TargetEntry>::from_pg(ar.args);
    let plain = ar.agglevelsup == 0 && ar.aggkind == b'n' as std::ffi::c_char && args.len() == 1;
    plain.then(|| args.get_ptr(0).map(|tle| (*tle).expr as *mut pg_sys::Node)).flatten()
}

/// sum over numeric values whose scales differ row by row (`sum(CASE WHEN
/// … THEN price ELSE 0 END)`): PostgreSQL's sum has the largest scale of
/// the values it added. DuckDB sums at the largest possible scale and
/// finds the largest actual one; PostgreSQL's round(sum, scale) then gives
/// the value PostgreSQL's own sum has, with its scale (exact: the digits
/// beyond that scale are zeros).
unsafe fn mixed_scale_sum(s: &mut Split, a: *mut pg_sys::Aggref) -> Result<*mut pg_sys::Node, Refusal> {
    Ok(mixed_scale_sum_count(s, a, "sum", false)?.0)
}

/// mixed_scale_sum's sum and, if asked, the count of the values it added.
unsafe fn mixed_scale_sum_count(
    s: &mut Split,
    a: *mut pg_sys::Aggref,
    name: &str,
    counted: bool,
) -> Result<(*mut pg_sys::Node, Option<*mut pg_sys::Node>), Refusal> {
    let ar = &*a;
    let arg = plain_argument(a).filter(|arg| pg_sys::exprType(*arg) == pg_sys::NUMERICOID && ar.aggdistinct.is_null());
    let Some(arg) = arg else { return refuse(format!("aggregate {name} here")) };
    super::funcs::require_builtin(ar.aggfnoid, name)?;
    let largest_possible = max_scale(s.ctx, arg)?;
    let scale = row_scale(s.ctx, arg, largest_possible)?;
    // Both aggregates see the rows sum adds: its own FILTER, non-NULL values.
    let mut filters = vec![Expr::IsNull { arg: Box::new(scale.value.clone()), negated: true }];
    if !ar.aggfilter.is_null() {
        filters.push(deparse(s.ctx, ar.aggfilter as *mut pg_sys::Node)?);
    }
    let filter = Expr::Logical { and: true, args: filters };
    let agg = |name: &str, arg: Expr| Expr::Aggregate {
        name: name.into(),
        distinct: false,
        args: vec![arg],
        order_by: vec![],
        filter: Some(Box::new(filter.clone())),
    };
    let count = counted.then(|| agg("count", scale.value.clone()));
    let (sum, largest) = (agg("sum", scale.value), agg("max", scale.per_row));
    let sum = s.columns.add(
        Expr::Cast { arg: Box::new(sum), ty: format!("DECIMAL(38,{})", scale.max) },
        pg_sys::makeNullConst(pg_sys::NUMERICOID, numeric_typmod(scale.max), pg_sys::InvalidOid) as *mut pg_sys::Expr,
    );
    let largest = s.columns.add(
        Expr::Cast { arg: Box::new(largest), ty: "INTEGER".into() },
        pg_sys::makeNullConst(pg_sys::INT4OID, -1, pg_sys::InvalidOid) as *mut pg_sys::Expr,
    );
    let count = count.map(|count| {
        s.columns.add(
            Expr::Cast { arg: Box::new(count), ty: "BIGINT".into() },
            pg_sys::makeNullConst(pg_sys::INT8OID, -1, pg_sys::InvalidOid) as *mut pg_sys::Expr,
        )
    });
    // Both are NULL over no rows (round is strict: NULL, as PostgreSQL's sum).
    Ok((numeric_call(pg_sys::F_ROUND_NUMERIC_INT4, vec![sum, largest]), count))
}

/// min / max of a stored unconstrained numeric: the text of the row with
/// the smallest (largest) value, so the result keeps that value's scale.
/// Among equal values of different scales (1.5, 1.50) which one PostgreSQL
/// returns depends on the scan order, as DuckDB's choice does.
unsafe fn stored_extreme(s: &mut Split, a: *mut pg_sys::Aggref, name: &str) -> Option<*mut pg_sys::Node> {
    let ar = &*a;
    let text = expr::stored_unconstrained(s.ctx, plain_argument(a)?)?;
    super::funcs::require_builtin(ar.aggfnoid, name).ok()?;
    let filter = if ar.aggfilter.is_null() { None } else { Some(Box::new(deparse(s.ctx, ar.aggfilter as *mut pg_sys::Node).ok()?)) };
    let call = Expr::Aggregate {
        name: if name == "min" { "arg_min".into() } else { "arg_max".into() },
        distinct: false,
        args: vec![text.clone(), expr::stored_value(text)],
        order_by: vec![],
        filter,
    };
    Some(s.columns.add(call, pg_sys::makeNullConst(pg_sys::NUMERICOID, -1, pg_sys::InvalidOid) as *mut pg_sys::Expr))
}

/// avg over integers or numeric: DuckDB sums and counts, PostgreSQL divides
/// with numeric_div — which is what PostgreSQL's own avg does, so the
/// result (value and scale) is PostgreSQL's.
unsafe fn average(s: &mut Split, a: *mut pg_sys::Aggref) -> Result<*mut pg_sys::Node, Refusal> {
    let ar = &*a;
    let Some(arg) = plain_argument(a) else { return refuse("aggregate avg here") };
    super::funcs::require_builtin(ar.aggfnoid, "avg")?;
    let t = pg_sys::exprType(arg);
    let scale = if expr::is_int(t) {
        0
    } else if t == pg_sys::NUMERICOID {
        match expr::numeric_scale(s.ctx, arg) {
            Ok(scale) => scale,
            // Scales that differ row by row: PostgreSQL's avg divides a sum
            // that has the largest of them.
            Err(why) => {
                let (sum, count) = mixed_scale_sum_count(s, a, "avg", true).map_err(|_| why)?;
                let count = count.ok_or("a count")?;
                return Ok(numeric_call(pg_sys::F_NUMERIC_DIV, vec![sum, numeric_call(pg_sys::F_NUMERIC_INT8, vec![count])]));
            }
        }
    } else {
        return refuse(format!("aggregate avg({})", expr::type_name(t)));
    };
    let distinct = !ar.aggdistinct.is_null();
    if distinct {
        check_equality(arg)?;
    }
    let x = deparse(s.ctx, arg)?;
    let filter = if ar.aggfilter.is_null() { None } else { Some(Box::new(deparse(s.ctx, ar.aggfilter as *mut pg_sys::Node)?)) };
    let agg = |name: &str| Expr::Aggregate { name: name.into(), distinct, args: vec![x.clone()], order_by: vec![], filter: filter.clone() };
    let sum = s.columns.add(
        Expr::Cast { arg: Box::new(agg("sum")), ty: format!("DECIMAL(38,{scale})") },
        pg_sys::makeNullConst(pg_sys::NUMERICOID, numeric_typmod(scale), pg_sys::InvalidOid) as *mut pg_sys::Expr,
    );
    let count = s.columns.add(
        Expr::Cast { arg: Box::new(agg("count")), ty: "BIGINT".into() },
        pg_sys::makeNullConst(pg_sys::INT8OID, -1, pg_sys::InvalidOid) as *mut pg_sys::Expr,
    );
    // The sum is NULL exactly when the count is 0, and numeric_div is
    // strict: avg of no rows is NULL, as in PostgreSQL.
    Ok(numeric_call(pg_sys::F_NUMERIC_DIV, vec![sum, numeric_call(pg_sys::F_NUMERIC_INT8, vec![count])]))
}

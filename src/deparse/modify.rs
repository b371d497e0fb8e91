//! UPDATE, DELETE, INSERT … SELECT and INSERT … ON CONFLICT on a duckdb
//! table → one DuckDB statement. What PostgreSQL's executor would check per
//! new row is asked of DuckDB instead, with PostgreSQL's wording and
//! SQLSTATE: NOT NULL, CHECK constraints, row-level security WITH CHECK
//! policies and view CHECK OPTIONs become `CASE WHEN <violated> THEN
//! error(…)` around the first assigned value; keys are DuckDB's own
//! (keys/). What cannot be checked that way (triggers — including foreign
//! keys —, stored generated columns) is refused, and the statement does
//! not run in DuckDB.

use std::ffi::CStr;

use duckam_logic::naming;
use duckam_logic::sql::{Change, Expr, Modify, OnConflict};
use pgrx::pg_sys;
use pgrx::PgList;

use super::expr::{self, duck_type};
use super::output::{self, Deparsed};
use super::query;
use super::{refuse, Ctx, Refusal};
use crate::hooks::relation_info;

use pgrx::PgSqlErrorCode as Code;
pub unsafe fn statement(ctx: &mut Ctx, q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let qr = &*q;
    let command = qr.commandType;
    let what = match command {
        pg_sys::CmdType::CMD_UPDATE => "UPDATE",
        pg_sys::CmdType::CMD_DELETE => "DELETE",
        pg_sys::CmdType::CMD_INSERT => "INSERT",
        _ => return refuse("a statement other than SELECT, INSERT, UPDATE or DELETE"),
    };
    let checks: [(bool, &str); 3] = [
        (qr.hasModifyingCTE, "data-modifying WITH"),
        (qr.hasTargetSRFs, "set-returning functions"),
        (!qr.returningList.is_null() && pg_sys::checkExprHasSubLink(qr.returningList as *mut pg_sys::Node), "a subquery in RETURNING"),
    ];
    if let Some((_, why)) = checks.iter().find(|(hit, _)| *hit) {
        return refuse(*why);
    }
    let index = qr.resultRelation as u32;
    let rte = ctx.rte(0, index)?;
    if (*rte).inh && query::has_children((*rte).relid) {
        return refuse("a table with inheritance children");
    }
    let relid = (*rte).relid;
    let (_, storage, _) = relation_info(relid).ok_or("a dropped table")?;
    let relname = CStr::from_ptr(pg_sys::get_rel_name(relid)).to_string_lossy().into_owned();
    let rel = pg_sys::relation_open(relid, pg_sys::NoLock as i32);
    let table = TableFacts::of(rel, command);
    pg_sys::relation_close(rel, pg_sys::NoLock as i32);
    if table.has_triggers {
        return refuse(format!("a table with {what} triggers (foreign keys are triggers too)"));
    }
    if table.has_generated && command != pg_sys::CmdType::CMD_DELETE {
        return refuse("a table with generated columns");
    }

    let mut m = Modify {
        with: Vec::new(),
        recursive: qr.hasRecursive,
        table: naming::table_name(storage),
        alias: ctx.alias(0, index)?,
        change: Change::Delete { using: Vec::new() },
        filter: None,
        returning: Vec::new(),
    };
    for cte in PgList::<pg_sys::CommonTableExpr>::from_pg(qr.cteList).iter_ptr() {
        let n = m.with.len();
        m.with.push(query::common_table_expr(ctx, cte, n)?);
    }
    let mut from = Vec::new();
    for item in PgList::<pg_sys::Node>::from_pg((*qr.jointree).fromlist).iter_ptr() {
        let is_target = (*item).type_ == pg_sys::NodeTag::T_RangeTblRef && (*(item as *mut pg_sys::RangeTblRef)).rtindex as u32 == index;
        if !is_target {
            from.push(query::from_item(ctx, item)?);
        }
    }
    m.filter = query::where_clause(ctx)?;

    m.change = match command {
        pg_sys::CmdType::CMD_DELETE => Change::Delete { using: from },
        _ => {
            let set = assigned_values(ctx, q, &table, &relname)?;
            if command == pg_sys::CmdType::CMD_UPDATE {
                Change::Update { set, from }
            } else {
                let on_conflict = if qr.onConflict.is_null() { None } else { on_conflict(ctx, q, &table, &m.table, &relname)? };
                let (columns, values) = set.into_iter().unzip();
                Change::Insert { columns, values, from, on_conflict }
            }
        }
    };

    let mut scan = Vec::new();
    let mut targets = Vec::new();
    if !qr.returningList.is_null() {
        if command == pg_sys::CmdType::CMD_INSERT {
            // DuckDB's INSERT … RETURNING knows the table by its name.
            ctx.renamed.push((ctx.level(0)?.id, index, m.table.clone()));
        }
        let (columns, outputs) = output::outputs(ctx, q, qr.returningList)?;
        m.returning = columns.exprs;
        scan = columns.scan;
        targets = outputs;
    }
    Ok(Deparsed { sql: m.render(), scan, targets, params: ctx.params.clone(), writes: Some(storage), heap_scans: ctx.heap_scans.clone() })
}

/// `ON CONFLICT …` of an INSERT into a duckdb table with keys: DuckDB's
/// own, over the same key (DuckDB's unique index stands for it).
/// PostgreSQL's DO UPDATE fails with 21000 when two proposed rows have one
/// key (the second would affect the row the first inserted or updated);
/// DuckDB does not, so the proposed rows are checked for that first.
/// None: nothing can conflict (no keys; DuckDB refuses the clause then).
unsafe fn on_conflict(ctx: &mut Ctx, q: *mut pg_sys::Query, table: &TableFacts, table_name: &str, relname: &str) -> Result<Option<OnConflict>, Refusal> {
    use super::funcs::{lit, raise};
    let qr = &*q;
    let oc = &*qr.onConflict;
    if !oc.arbiterWhere.is_null() {
        return refuse("ON CONFLICT with a WHERE clause on its target");
    }
    let mut key: Vec<i16> = Vec::new();
    for e in PgList::<pg_sys::InferenceElem>::from_pg(oc.arbiterElems).iter_ptr() {
        let expr = (*e).expr as *mut pg_sys::Node;
        if expr.is_null() || (*expr).type_ != pg_sys::NodeTag::T_Var {
            return refuse("an expression as the ON CONFLICT target");
        }
        key.push((*(expr as *mut pg_sys::Var)).varattno);
    }
    if oc.constraint != pg_sys::InvalidOid {
        // ON CONFLICT ON CONSTRAINT name: the columns of its index.
        let index = pg_sys::get_constraint_index(oc.constraint);
        if index == pg_sys::InvalidOid {
            return refuse("ON CONFLICT ON CONSTRAINT of a constraint without an index");
        }
        let rel = pg_sys::index_open(index, pg_sys::AccessShareLock as i32);
        key = crate::keys::key_columns(rel);
        pg_sys::index_close(rel, pg_sys::AccessShareLock as i32);
    }
    let target: Vec<String> = key.iter().map(|&a| naming::column_name(a)).collect();
    if oc.action == pg_sys::OnConflictAction::ONCONFLICT_NOTHING {
        return Ok(table.has_keys.then_some(OnConflict { target, update: None, filter: None, once: None }));
    }
    if !table.checks.is_empty() || !qr.withCheckOptions.is_null() {
        return refuse("ON CONFLICT DO UPDATE on a table with CHECK constraints or row-level security");
    }
    // In SET and WHERE: the existing row is the table, the proposed one `excluded`.
    let level = ctx.level(0)?.id;
    ctx.renamed.push((level, qr.resultRelation as u32, table_name.to_string()));
    ctx.renamed.push((level, oc.exclRelIndex as u32, "excluded".to_string()));
    let mut set = Vec::new();
    for tle in PgList::<pg_sys::TargetEntry>::from_pg(oc.onConflictSet).iter_ptr() {
        if (*tle).resjunk {
            return refuse("SET (…) = (SELECT …) in ON CONFLICT DO UPDATE");
        }
        let attno = (*tle).resno;
        if key.contains(&attno) {
            return refuse("ON CONFLICT DO UPDATE that sets a column of its key");
        }
        let (mut e, name) = assigned_value(ctx, table, attno, (*tle).expr as *mut pg_sys::Node)?;
        if table.not_null.iter().any(|(a, _)| *a == attno) {
            e = Expr::Case {
                whens: vec![(Expr::IsNull { arg: Box::new(e.clone()), negated: false }, raise(Code::ERRCODE_NOT_NULL_VIOLATION, &not_null_message(name, relname)))],
                otherwise: Some(Box::new(e)),
            };
        }
        set.push((naming::column_name(attno), e));
    }
    let filter = if oc.onConflictWhere.is_null() { None } else { Some(expr::deparse(ctx, oc.onConflictWhere)?) };
    let columns: Vec<Expr> = target.iter().map(|c| Expr::column("src", c)).collect();
    let twice = Expr::Logical {
        and: true,
        args: std::iter::once(Expr::binary(
            ">",
            Expr::Window {
                call: Box::new(Expr::Aggregate { name: "count".into(), distinct: false, args: vec![lit("1", "INTEGER")], order_by: Vec::new(), filter: None }),
                partition: columns.clone(),
                order_by: Vec::new(),
                frame: None,
            },
            lit("1", "BIGINT"),
        ))
        .chain(columns.into_iter().map(|c| Expr::IsNull { arg: Box::new(c), negated: true }))
        .collect(),
    };
    let once = Expr::Case {
        whens: vec![(twice, raise(Code::ERRCODE_CARDINALITY_VIOLATION, AFFECTED_TWICE))],
        otherwise: Some(Box::new(Expr::Bool(true))),
    };
    Ok(Some(OnConflict { target, update: Some(set), filter, once: Some(once) }))
}

/// PostgreSQL's words when ON CONFLICT DO UPDATE would change a row twice.
const AFFECTED_TWICE: &str = "ON CONFLICT DO UPDATE command cannot affect row a second time";

/// What the target relation asks of a new row beyond its column types.
struct TableFacts {
    has_triggers: bool,
    /// PRIMARY KEY / UNIQUE (the only indexes a duckdb table can have).
    has_keys: bool,
    has_generated: bool,
    /// (attno, column name) of NOT NULL columns.
    not_null: Vec<(i16, String)>,
    /// (constraint name, expression over Vars of varno 1).
    checks: Vec<(String, *mut pg_sys::Node)>,
    /// (attno, type, typmod, name) of every live column.
    columns: Vec<(i16, pg_sys::Oid, i32, String)>,
}

impl TableFacts {
    unsafe fn of(rel: pg_sys::Relation, command: pg_sys::CmdType::Type) -> TableFacts {
        let event = match command {
            pg_sys::CmdType::CMD_INSERT => pg_sys::TRIGGER_TYPE_INSERT,
            pg_sys::CmdType::CMD_UPDATE => pg_sys::TRIGGER_TYPE_UPDATE,
            _ => pg_sys::TRIGGER_TYPE_DELETE,
        } as i16;
        let trig = (*rel).trigdesc;
        let has_triggers = !trig.is_null()
            && std::slice::from_raw_parts((*trig).triggers, (*trig).numtriggers as usize).iter().any(|t| t.tgtype & event != 0);
        let desc = (*rel).rd_att;
        let constr = (*desc).constr;
        let mut facts = TableFacts {
            has_triggers,
            has_keys: (*(*rel).rd_rel).relhasindex,
            has_generated: !constr.is_null() && (*constr).has_generated_stored,
            not_null: Vec::new(),
            checks: Vec::new(),
            columns: Vec::new(),
        };
        for att in (*desc).attrs.as_slice((*desc).natts as usize) {
            if att.attisdropped {
                continue;
            }
            let name = CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy().into_owned();
            if att.attnotnull {
                facts.not_null.push((att.attnum, name.clone()));
            }
            facts.columns.push((att.attnum, att.atttypid, att.atttypmod, name));
        }
        if !constr.is_null() {
            for c in std::slice::from_raw_parts((*constr).check, (*constr).num_check as usize) {
                let name = CStr::from_ptr(c.ccname).to_string_lossy().into_owned();
                facts.checks.push((name, pg_sys::stringToNode(c.ccbin) as *mut pg_sys::Node));
            }
        }
        facts
    }
}

/// A value assigned to a numeric column without a precision, as the text
/// that column stores (see types::Kind::NumericText): PostgreSQL's digits
/// and display scale, or PostgreSQL's 22003 error where it would not fit
/// DECIMAL(38,18).
unsafe fn unconstrained_text(ctx: &mut Ctx, value: *mut pg_sys::Node, column: &str) -> Result<Expr, Refusal> {
    use super::funcs::{call, lit};
    use duckam_logic::types::{UNCONSTRAINED_INTEGER_DIGITS, UNCONSTRAINED_SCALE};
    if let Some(text) = expr::stored_unconstrained(ctx, value) {
        return Ok(text);
    }
    // The value at DECIMAL(38, at) and the scale PostgreSQL gives it.
    let fixed = expr::numeric_scale(ctx, value);
    let at = match &fixed {
        Ok(s) => *s,
        Err(why) => super::row_scale::max_scale(ctx, value).map_err(|_| why.clone())?,
    };
    if at > UNCONSTRAINED_SCALE {
        return refuse(format!("a numeric value with more than {UNCONSTRAINED_SCALE} digits after the decimal point"));
    }
    let (decimal, scale) = if fixed.is_ok() {
        (Expr::Cast { arg: Box::new(expr::deparse(ctx, value)?), ty: format!("DECIMAL(38,{at})") }, lit(&at.to_string(), "INTEGER"))
    } else {
        let r = super::row_scale::row_scale(ctx, value, at)?;
        (r.value, r.per_row)
    };
    // DuckDB prints a DECIMAL(38, at) with `at` digits after the point:
    // the digits beyond the row's own scale (zeros) go, and the point with
    // them when that scale is 0.
    let printed = Expr::Cast { arg: Box::new(decimal.clone()), ty: "VARCHAR".into() };
    let dropped = Expr::binary("-", lit(&at.to_string(), "INTEGER"), scale.clone());
    let point = Expr::Case { whens: vec![(Expr::binary("=", scale, lit("0", "INTEGER")), lit("1", "INTEGER"))], otherwise: Some(Box::new(lit("0", "INTEGER"))) };
    let trimmed = if at == 0 {
        printed
    } else {
        call("left", vec![printed.clone(), Expr::binary("-", call("length", vec![printed]), Expr::binary("+", dropped, point))])
    };
    if at == UNCONSTRAINED_SCALE {
        // DECIMAL(38,18) itself ends below 10^20 (DuckDB's overflow error).
        return Ok(trimmed);
    }
    let limit = format!("1{}", "0".repeat(UNCONSTRAINED_INTEGER_DIGITS));
    let message = format!("a value does not fit duckdb column \"{column}\" of type numeric: more than {UNCONSTRAINED_INTEGER_DIGITS} digits before the decimal point");
    Ok(Expr::Case {
        whens: vec![(
            Expr::binary(">=", call("abs", vec![decimal]), lit(&limit, &format!("DECIMAL(38,{at})"))),
            super::funcs::raise(Code::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, &message),
        )],
        otherwise: Some(Box::new(trimmed)),
    })
}

/// `value` as what column `attno` stores (its DuckDB type; an
/// unconstrained numeric's text), and the column's name.
unsafe fn assigned_value<'t>(ctx: &mut Ctx, table: &'t TableFacts, attno: i16, value: *mut pg_sys::Node) -> Result<(Expr, &'t str), Refusal> {
    let (_, typid, typmod, name) = table.columns.iter().find(|c| c.0 == attno).ok_or("an assignment to a dropped column")?;
    let e = if *typid == pg_sys::NUMERICOID && *typmod < 0 {
        unconstrained_text(ctx, value, name)?
    } else {
        Expr::Cast { arg: Box::new(expr::deparse(ctx, value)?), ty: duck_type(*typid, *typmod)? }
    };
    Ok((e, name))
}

/// PostgreSQL's words for a NULL in a NOT NULL column.
fn not_null_message(column: &str, relname: &str) -> String {
    format!("null value in column \"{column}\" of relation \"{relname}\" violates not-null constraint")
}

/// The columns an UPDATE sets or an INSERT fills, each value cast to the
/// column's DuckDB type; the new-row checks wrap the first value.
unsafe fn assigned_values(
    ctx: &mut Ctx,
    q: *mut pg_sys::Query,
    table: &TableFacts,
    relname: &str,
) -> Result<Vec<(String, Expr)>, Refusal> {
    let qr = &*q;
    let mut assigned: Vec<(i16, *mut pg_sys::Node)> = Vec::new();
    for tle in PgList::<pg_sys::TargetEntry>::from_pg(qr.targetList).iter_ptr() {
        if (*tle).resjunk {
            return refuse("SET (…) = (SELECT …) or another multiple-column assignment");
        }
        assigned.push(((*tle).resno, (*tle).expr as *mut pg_sys::Node));
    }
    if assigned.is_empty() {
        return refuse("an INSERT without columns");
    }
    let violations = new_row_violations(q, table, relname, &assigned)?;
    let mut out = Vec::new();
    for (i, (attno, value)) in assigned.iter().enumerate() {
        let (mut e, _) = assigned_value(ctx, table, *attno, *value)?;
        if i == 0 && !violations.is_empty() {
            let mut whens = Vec::new();
            for (condition, code, message) in &violations {
                whens.push((expr::deparse(ctx, *condition)?, super::funcs::raise(*code, message)));
            }
            e = Expr::Case { whens, otherwise: Some(Box::new(e)) };
        }
        out.push((naming::column_name(*attno), e));
    }
    Ok(out)
}

/// Conditions (PostgreSQL expressions over the new row's values) that make
/// a new row invalid, in the order PostgreSQL's executor checks them, with
/// the SQLSTATE and message it would raise.
unsafe fn new_row_violations(
    q: *mut pg_sys::Query,
    table: &TableFacts,
    relname: &str,
    assigned: &[(i16, *mut pg_sys::Node)],
) -> Result<Vec<(*mut pg_sys::Node, Code, String)>, Refusal> {
    let qr = &*q;
    let index = qr.resultRelation;
    let update = qr.commandType == pg_sys::CmdType::CMD_UPDATE;
    let rte = PgList::<pg_sys::RangeTblEntry>::from_pg(qr.rtable).get_ptr(index as usize - 1).ok_or("no target table")?;
    // Columns an UPDATE leaves alone keep their (old) value; an INSERT
    // fills them with NULL.
    let (nomatch, nomatch_varno) = if update {
        (pg_sys::ReplaceVarsNoMatchOption::REPLACEVARS_CHANGE_VARNO, index)
    } else {
        (pg_sys::ReplaceVarsNoMatchOption::REPLACEVARS_SUBSTITUTE_NULL, 0)
    };
    let new_row = |node: *mut pg_sys::Node, varno: i32| {
        let mut sublinks = false;
        let copy = pg_sys::copyObjectImpl(node as *const std::ffi::c_void) as *mut pg_sys::Node;
        let n = pg_sys::ReplaceVarsFromTargetList(copy, varno, 0, rte, qr.targetList, nomatch, nomatch_varno, &mut sublinks);
        (n, sublinks)
    };
    let bool_test = |arg: *mut pg_sys::Node, kind: pg_sys::BoolTestType::Type| {
        let t = pg_sys::palloc0(std::mem::size_of::<pg_sys::BooleanTest>()) as *mut pg_sys::BooleanTest;
        (*t).xpr.type_ = pg_sys::NodeTag::T_BooleanTest;
        (*t).arg = arg as *mut pg_sys::Expr;
        (*t).booltesttype = kind;
        (*t).location = -1;
        t as *mut pg_sys::Node
    };
    let mut out = Vec::new();
    // Row-level security WITH CHECK (and view CHECK OPTION): the row must
    // satisfy the policy, NULL counting as a failure.
    for wco in PgList::<pg_sys::WithCheckOption>::from_pg(qr.withCheckOptions).iter_ptr() {
        let w = &*wco;
        let (n, sublinks) = new_row(w.qual, index);
        if sublinks || pg_sys::checkExprHasSubLink(n) {
            return refuse("a row-level security policy or view CHECK OPTION with a subquery");
        }
        let target = CStr::from_ptr(w.relname).to_string_lossy().into_owned();
        let (code, message) = match w.kind {
            pg_sys::WCOKind::WCO_VIEW_CHECK => (Code::ERRCODE_WITH_CHECK_OPTION_VIOLATION, format!("new row violates check option for view \"{target}\"")),
            _ if !w.polname.is_null() => (
                Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!(
                    "new row violates row-level security policy \"{}\" for table \"{target}\"",
                    CStr::from_ptr(w.polname).to_string_lossy()
                ),
            ),
            _ => (Code::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("new row violates row-level security policy for table \"{target}\"")),
        };
        out.push((bool_test(n, pg_sys::BoolTestType::IS_NOT_TRUE), code, message));
    }
    for (attno, name) in &table.not_null {
        let value = match assigned.iter().find(|(a, _)| a == attno) {
            Some((_, v)) => *v,
            None if update => continue,
            None => pg_sys::makeNullConst(pg_sys::BOOLOID, -1, pg_sys::InvalidOid) as *mut pg_sys::Node,
        };
        let t = pg_sys::palloc0(std::mem::size_of::<pg_sys::NullTest>()) as *mut pg_sys::NullTest;
        (*t).xpr.type_ = pg_sys::NodeTag::T_NullTest;
        (*t).arg = value as *mut pg_sys::Expr;
        (*t).nulltesttype = pg_sys::NullTestType::IS_NULL;
        (*t).location = -1;
        out.push((
            t as *mut pg_sys::Node,
            Code::ERRCODE_NOT_NULL_VIOLATION,
            not_null_message(name, relname),
        ));
    }
    // CHECK constraints pass when TRUE or NULL.
    for (name, check) in &table.checks {
        let (n, _) = new_row(*check, 1);
        out.push((
            bool_test(n, pg_sys::BoolTestType::IS_FALSE),
            Code::ERRCODE_CHECK_VIOLATION,
            format!("new row for relation \"{relname}\" violates check constraint \"{name}\""),
        ));
    }
    Ok(out)
}

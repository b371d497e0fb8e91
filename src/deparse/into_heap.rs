//! INSERT INTO <PostgreSQL table> SELECT … that reads duckdb tables:
//! DuckDB runs the SELECT (joins, aggregation, …) and PostgreSQL's own
//! ModifyTable inserts the rows it returns, so defaults (nextval()
//! included), constraints, triggers, indexes, ON CONFLICT and RETURNING
//! stay PostgreSQL's. The result's target list is the new row, column by
//! column, as PostgreSQL's executor expects an INSERT's source to be.

use pgrx::pg_sys;
use pgrx::PgList;

use super::output::Deparsed;
use super::{refuse, Refusal};

pub unsafe fn source(q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let qr = &*q;
    if !qr.cteList.is_null() {
        return refuse("WITH on an INSERT into a PostgreSQL table");
    }
    let from = PgList::<pg_sys::Node>::from_pg((*qr.jointree).fromlist);
    let item = match from.get_ptr(0) {
        Some(item) if from.len() == 1 && (*item).type_ == pg_sys::NodeTag::T_RangeTblRef => item as *mut pg_sys::RangeTblRef,
        _ => return refuse("INSERT … VALUES reading duckdb tables"),
    };
    let rti = (*item).rtindex;
    let rtable = PgList::<pg_sys::RangeTblEntry>::from_pg(qr.rtable);
    let rte = rtable.get_ptr(rti as usize - 1).ok_or("no source query")?;
    if (*rte).rtekind != pg_sys::RTEKind::RTE_SUBQUERY {
        return refuse("INSERT … VALUES reading duckdb tables");
    }
    let sub = (*rte).subquery;
    // The source's outputs, numbered 1..n as DuckDB returns them.
    let outputs = PgList::<pg_sys::TargetEntry>::from_pg((*sub).targetList);
    if outputs.iter_ptr().filter(|t| !(**t).resjunk).enumerate().any(|(i, t)| (*t).resno as usize != i + 1) {
        return refuse("a source query with hidden columns between its outputs");
    }
    let mut d = super::deparse(sub)?;
    let mut produced = PgList::<pg_sys::TargetEntry>::new();
    for &t in &d.targets {
        produced.push(t);
    }
    let produced = produced.into_pg();

    let target = rtable.get_ptr(qr.resultRelation as usize - 1).ok_or("no target table")?;
    let rel = pg_sys::RelationIdGetRelation((*target).relid);
    if rel.is_null() {
        return refuse("a dropped table");
    }
    let desc = (*rel).rd_att;
    let assigned = PgList::<pg_sys::TargetEntry>::from_pg(qr.targetList);
    let mut row = Vec::new();
    let mut refusal = None;
    for i in 0..(*desc).natts as usize {
        let att = &*(*desc).attrs.as_ptr().add(i);
        let attno = i as i16 + 1;
        let given = assigned.iter_ptr().find(|t| (**t).resno == attno && !(**t).resjunk);
        let value = if let Some(t) = given {
            let mut sublinks = false;
            let copy = pg_sys::copyObjectImpl((*t).expr as *const std::ffi::c_void) as *mut pg_sys::Node;
            pg_sys::ReplaceVarsFromTargetList(
                copy,
                rti,
                0,
                rte,
                produced,
                pg_sys::ReplaceVarsNoMatchOption::REPLACEVARS_REPORT_ERROR,
                0,
                &mut sublinks,
            )
        } else if att.attisdropped {
            pg_sys::makeNullConst(pg_sys::INT4OID, -1, pg_sys::InvalidOid) as *mut pg_sys::Node
        } else if pg_sys::get_typtype(att.atttypid) == pg_sys::TYPTYPE_DOMAIN as std::ffi::c_char {
            refusal = Some("a domain-typed column left to its NULL default");
            break;
        } else {
            pg_sys::makeNullConst(att.atttypid, att.atttypmod, att.attcollation) as *mut pg_sys::Node
        };
        if pg_sys::checkExprHasSubLink(value) || reads_other_than_result(value) {
            refusal = Some("a column value that reads other tables");
            break;
        }
        pg_sys::fix_opfuncids(value);
        row.push(pg_sys::makeTargetEntry(value as *mut pg_sys::Expr, attno, pg_sys::pstrdup(att.attname.data.as_ptr()), false));
    }
    pg_sys::RelationClose(rel);
    if let Some(what) = refusal {
        return refuse(what);
    }
    d.targets = row;
    Ok(d)
}

/// Does an expression read Vars other than DuckDB's result columns?
unsafe fn reads_other_than_result(node: *mut pg_sys::Node) -> bool {
    let flags = pg_sys::PVC_RECURSE_AGGREGATES | pg_sys::PVC_RECURSE_WINDOWFUNCS | pg_sys::PVC_RECURSE_PLACEHOLDERS;
    let vars = PgList::<pg_sys::Var>::from_pg(pg_sys::pull_var_clause(node, flags as i32));
    let other = vars.iter_ptr().any(|v| (*v).varno != pg_sys::INDEX_VAR as i32);
    other
}

//! A small SQL tree for the DuckDB statements pg_duckam generates, and its
//! rendering. The planner-side deparser (PostgreSQL Query → this tree)
//! decides *what* may be sent to DuckDB; this module only decides *how it
//! is spelled*: identifiers and literals are always quoted, and every
//! operator application is parenthesized, so precedence never depends on
//! the two dialects agreeing.

use crate::naming::{quote_ident, quote_literal};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column of a FROM item: `alias."name"`.
    Column { alias: String, name: String },
    /// A literal written as text and cast to its DuckDB type.
    Literal { text: String, ty: String },
    Null,
    Bool(bool),
    /// A parameter of the prepared statement ($1 is 1).
    Param(usize),
    /// Infix operator: `(a op b)`.
    Binary { op: String, left: Box<Expr>, right: Box<Expr> },
    /// Prefix operator: `(op a)`.
    Unary { op: String, arg: Box<Expr> },
    /// `AND` / `OR` over any number of arguments.
    Logical { and: bool, args: Vec<Expr> },
    Not(Box<Expr>),
    IsNull { arg: Box<Expr>, negated: bool },
    Cast { arg: Box<Expr>, ty: String },
    Call { name: String, args: Vec<Expr> },
    Case { whens: Vec<(Expr, Expr)>, otherwise: Option<Box<Expr>> },
    InList { arg: Box<Expr>, list: Vec<Expr>, negated: bool },
    /// A subquery used as an expression: `(prefix (sql))`, prefix being
    /// `EXISTS` or empty (a scalar subquery).
    Subquery { prefix: String, sql: String },
    /// `(left op ANY|ALL (sql))`.
    Quantified { left: Box<Expr>, op: String, all: bool, sql: String },
    /// An aggregate call: `name(DISTINCT args ORDER BY …) FILTER (WHERE …)`.
    Aggregate { name: String, distinct: bool, args: Vec<Expr>, order_by: Vec<OrderItem>, filter: Option<Box<Expr>> },
    /// A window function call: `call OVER (PARTITION BY … ORDER BY … frame)`.
    Window { call: Box<Expr>, partition: Vec<Expr>, order_by: Vec<OrderItem>, frame: Option<String> },
}

impl Expr {
    pub fn column(alias: &str, name: &str) -> Expr {
        Expr::Column { alias: alias.into(), name: name.into() }
    }

    pub fn binary(op: &str, left: Expr, right: Expr) -> Expr {
        Expr::Binary { op: op.into(), left: Box::new(left), right: Box::new(right) }
    }

    /// Whether DuckDB may raise an error evaluating this (the deparser's
    /// `error()` calls and the macros that contain them, memory.main.pg_*). DuckDB
    /// counts `error()` as volatile and refuses volatile window keys.
    /// Judged on the rendered text: a false positive only costs a fallback.
    pub fn may_raise(&self) -> bool {
        let sql = self.render();
        sql.contains("error(") || sql.contains("memory.main.pg_")
    }

    pub fn render(&self) -> String {
        match self {
            Expr::Column { alias, name } => format!("{}.{}", quote_ident(alias), quote_ident(name)),
            Expr::Literal { text, ty } => format!("CAST({} AS {ty})", quote_literal(text)),
            Expr::Null => "NULL".into(),
            Expr::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Expr::Param(n) => format!("${n}"),
            Expr::Binary { op, left, right } => format!("({} {op} {})", left.render(), right.render()),
            Expr::Unary { op, arg } => format!("({op} {})", arg.render()),
            Expr::Logical { and, args } => {
                if args.is_empty() {
                    return if *and { "TRUE" } else { "FALSE" }.into();
                }
                let sep = if *and { " AND " } else { " OR " };
                format!("({})", args.iter().map(Expr::render).collect::<Vec<_>>().join(sep))
            }
            Expr::Not(arg) => format!("(NOT {})", arg.render()),
            Expr::IsNull { arg, negated } => {
                format!("({} IS {}NULL)", arg.render(), if *negated { "NOT " } else { "" })
            }
            Expr::Cast { arg, ty } => format!("CAST({} AS {ty})", arg.render()),
            Expr::Call { name, args } => {
                format!("{name}({})", args.iter().map(Expr::render).collect::<Vec<_>>().join(", "))
            }
            Expr::Case { whens, otherwise } => {
                let mut s = String::from("(CASE");
                for (w, t) in whens {
                    s.push_str(&format!(" WHEN {} THEN {}", w.render(), t.render()));
                }
                if let Some(e) = otherwise {
                    s.push_str(&format!(" ELSE {}", e.render()));
                }
                s.push_str(" END)");
                s
            }
            Expr::InList { arg, list, negated } => format!(
                "({} {}IN ({}))",
                arg.render(),
                if *negated { "NOT " } else { "" },
                list.iter().map(Expr::render).collect::<Vec<_>>().join(", ")
            ),
            Expr::Subquery { prefix, sql } => {
                if prefix.is_empty() {
                    format!("({sql})")
                } else {
                    format!("({prefix} ({sql}))")
                }
            }
            Expr::Quantified { left, op, all, sql } => {
                format!("({} {op} {} ({sql}))", left.render(), if *all { "ALL" } else { "ANY" })
            }
            Expr::Aggregate { name, distinct, args, order_by, filter } => {
                let mut s = format!("{name}({}{}", if *distinct { "DISTINCT " } else { "" }, list(args));
                if !order_by.is_empty() {
                    s.push_str(&format!(" ORDER BY {}", order_list(order_by)));
                }
                s.push(')');
                if let Some(f) = filter {
                    s.push_str(&format!(" FILTER (WHERE {})", f.render()));
                }
                s
            }
            Expr::Window { call, partition, order_by, frame } => {
                let mut spec = Vec::new();
                if !partition.is_empty() {
                    spec.push(format!("PARTITION BY {}", list(partition)));
                }
                if !order_by.is_empty() {
                    spec.push(format!("ORDER BY {}", order_list(order_by)));
                }
                if let Some(f) = frame {
                    spec.push(f.clone());
                }
                format!("({} OVER ({}))", call.render(), spec.join(" "))
            }
        }
    }
}

fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(Expr::render).collect::<Vec<_>>().join(", ")
}

fn order_list(items: &[OrderItem]) -> String {
    items.iter().map(OrderItem::render).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

impl OrderItem {
    /// Always spells NULLS FIRST/LAST: DuckDB's default null order is not
    /// PostgreSQL's.
    pub fn render(&self) -> String {
        format!(
            "{} {} NULLS {}",
            self.expr.render(),
            if self.descending { "DESC" } else { "ASC" },
            if self.nulls_first { "FIRST" } else { "LAST" }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum From {
    Table { name: String, alias: String },
    /// A rendered query (a SELECT or a set operation) in FROM.
    Subquery { sql: String, alias: String },
    /// A table function call, e.g. `pg_heap(0)`.
    Function { call: String, alias: String },
    Join { kind: JoinKind, left: Box<From>, right: Box<From>, on: Expr },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

impl From {
    pub fn render(&self) -> String {
        match self {
            From::Table { name, alias } => format!("{} AS {}", quote_ident(name), quote_ident(alias)),
            From::Subquery { sql, alias } => format!("({sql}) AS {}", quote_ident(alias)),
            From::Function { call, alias } => format!("{call} AS {}", quote_ident(alias)),
            From::Join { kind, left, right, on } => {
                let k = match kind {
                    JoinKind::Inner => "INNER",
                    JoinKind::Left => "LEFT",
                    JoinKind::Right => "RIGHT",
                    JoinKind::Full => "FULL",
                };
                format!("({} {k} JOIN {} ON {})", left.render(), right.render(), on.render())
            }
        }
    }
}

/// GROUP BY GROUPING SETS / ROLLUP / CUBE, nested as written.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupingSet {
    Simple(Vec<Expr>),
    Rollup(Vec<GroupingSet>),
    Cube(Vec<GroupingSet>),
    Sets(Vec<GroupingSet>),
}

impl GroupingSet {
    pub fn render(&self) -> String {
        let nested = |sets: &[GroupingSet]| sets.iter().map(GroupingSet::render).collect::<Vec<_>>().join(", ");
        match self {
            GroupingSet::Simple(exprs) => format!("({})", list(exprs)),
            GroupingSet::Rollup(sets) => format!("ROLLUP ({})", nested(sets)),
            GroupingSet::Cube(sets) => format!("CUBE ({})", nested(sets)),
            GroupingSet::Sets(sets) => format!("GROUPING SETS ({})", nested(sets)),
        }
    }
}

/// A common table expression: `name AS [NOT] MATERIALIZED (sql)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: String,
    pub sql: String,
    pub materialized: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Intersect,
    Except,
}

/// `(left) UNION [ALL] (right)`: each side a rendered query.
pub fn set_operation(op: SetOp, all: bool, left: &str, right: &str) -> String {
    let word = match op {
        SetOp::Union => "UNION",
        SetOp::Intersect => "INTERSECT",
        SetOp::Except => "EXCEPT",
    };
    format!("({left}) {word}{} ({right})", if all { " ALL" } else { "" })
}

/// The WITH clause for `ctes` (empty when there are none).
pub fn with_clause(ctes: &[Cte], recursive: bool) -> String {
    if ctes.is_empty() {
        return String::new();
    }
    let items: Vec<String> = ctes
        .iter()
        .map(|c| {
            let m = match c.materialized {
                Some(true) => "MATERIALIZED ",
                Some(false) => "NOT MATERIALIZED ",
                None => "",
            };
            format!("{} AS {m}({})", quote_ident(&c.name), c.sql)
        })
        .collect();
    format!("WITH {}{} ", if recursive { "RECURSIVE " } else { "" }, items.join(", "))
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    pub with: Vec<Cte>,
    pub recursive: bool,
    pub distinct: bool,
    /// DISTINCT ON (…): first row of each group in ORDER BY order.
    pub distinct_on: Vec<Expr>,
    /// Output expressions with their column aliases.
    pub targets: Vec<(Expr, String)>,
    pub from: Vec<From>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    /// Replaces `group_by` when the query has grouping sets.
    pub grouping_sets: Vec<GroupingSet>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

impl Select {
    pub fn render(&self) -> String {
        let mut s = with_clause(&self.with, self.recursive);
        s.push_str("SELECT ");
        if !self.distinct_on.is_empty() {
            s.push_str(&format!("DISTINCT ON ({}) ", list(&self.distinct_on)));
        } else if self.distinct {
            s.push_str("DISTINCT ");
        }
        if self.targets.is_empty() {
            // No column is needed (PostgreSQL computes every output from
            // constants): a typed placeholder, as an untyped NULL comes
            // back as DuckDB's SQLNULL type.
            s.push_str("CAST(NULL AS BOOLEAN)");
        } else {
            let t: Vec<String> =
                self.targets.iter().map(|(e, a)| format!("{} AS {}", e.render(), quote_ident(a))).collect();
            s.push_str(&t.join(", "));
        }
        if !self.from.is_empty() {
            s.push_str(" FROM ");
            s.push_str(&self.from.iter().map(From::render).collect::<Vec<_>>().join(", "));
        }
        if let Some(w) = &self.filter {
            s.push_str(&format!(" WHERE {}", w.render()));
        }
        if !self.grouping_sets.is_empty() {
            s.push_str(" GROUP BY ");
            s.push_str(&self.grouping_sets.iter().map(GroupingSet::render).collect::<Vec<_>>().join(", "));
        } else if !self.group_by.is_empty() {
            s.push_str(" GROUP BY ");
            s.push_str(&list(&self.group_by));
        }
        if let Some(h) = &self.having {
            s.push_str(&format!(" HAVING {}", h.render()));
        }
        if !self.order_by.is_empty() {
            s.push_str(" ORDER BY ");
            s.push_str(&order_list(&self.order_by));
        }
        if let Some(l) = &self.limit {
            s.push_str(&format!(" LIMIT {}", l.render()));
        }
        if let Some(o) = &self.offset {
            s.push_str(&format!(" OFFSET {}", o.render()));
        }
        s
    }
}

/// What a data-modifying statement does to its target table.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `UPDATE table AS alias SET col = expr, … [FROM …]`
    Update { set: Vec<(String, Expr)>, from: Vec<From> },
    /// `DELETE FROM table AS alias [USING …]`
    Delete { using: Vec<From> },
    /// `INSERT INTO table (cols) SELECT exprs FROM …`; RETURNING names the
    /// table itself (DuckDB binds no alias there).
    Insert { columns: Vec<String>, values: Vec<Expr>, from: Vec<From>, on_conflict: Option<OnConflict> },
}

/// `ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET … [WHERE …]` of an
/// INSERT. The proposed rows are a subquery (`src`) whose columns are the
/// target's, so `ON CONFLICT` cannot be read as part of a JOIN's `ON` and
/// `once` can look at them.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    pub target: Vec<String>,
    /// None: DO NOTHING.
    pub update: Option<Vec<(String, Expr)>>,
    pub filter: Option<Expr>,
    /// A condition over the proposed rows (QUALIFY) that raises when a key
    /// comes twice: PostgreSQL's DO UPDATE never affects a row twice.
    pub once: Option<Expr>,
}

/// UPDATE / DELETE / INSERT … SELECT on one table, with its WITH clause,
/// condition and RETURNING list (empty: DuckDB returns the row count).
#[derive(Debug, Clone, PartialEq)]
pub struct Modify {
    pub with: Vec<Cte>,
    pub recursive: bool,
    pub table: String,
    pub alias: String,
    pub change: Change,
    pub filter: Option<Expr>,
    pub returning: Vec<(Expr, String)>,
}

impl Modify {
    pub fn render(&self) -> String {
        let mut s = with_clause(&self.with, self.recursive);
        let table = quote_ident(&self.table);
        let alias = quote_ident(&self.alias);
        let froms = |items: &[From]| items.iter().map(From::render).collect::<Vec<_>>().join(", ");
        match &self.change {
            Change::Update { set, from } => {
                let set: Vec<String> = set.iter().map(|(c, e)| format!("{} = {}", quote_ident(c), e.render())).collect();
                s.push_str(&format!("UPDATE {table} AS {alias} SET {}", set.join(", ")));
                if !from.is_empty() {
                    s.push_str(&format!(" FROM {}", froms(from)));
                }
            }
            Change::Delete { using } => {
                s.push_str(&format!("DELETE FROM {table} AS {alias}"));
                if !using.is_empty() {
                    s.push_str(&format!(" USING {}", froms(using)));
                }
            }
            Change::Insert { columns, values, from, on_conflict: None } => {
                let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
                s.push_str(&format!("INSERT INTO {table} ({}) SELECT {}", cols.join(", "), list(values)));
                if !from.is_empty() {
                    s.push_str(&format!(" FROM {}", froms(from)));
                }
                if let Some(w) = &self.filter {
                    s.push_str(&format!(" WHERE {}", w.render()));
                }
            }
            Change::Insert { columns, values, from, on_conflict: Some(oc) } => {
                let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
                let named: Vec<String> = values.iter().zip(&cols).map(|(v, c)| format!("{} AS {c}", v.render())).collect();
                let mut source = format!("SELECT {}", named.join(", "));
                if !from.is_empty() {
                    source.push_str(&format!(" FROM {}", froms(from)));
                }
                if let Some(w) = &self.filter {
                    source.push_str(&format!(" WHERE {}", w.render()));
                }
                s.push_str(&format!("INSERT INTO {table} ({}) SELECT * FROM ({source}) AS \"src\"", cols.join(", ")));
                if let Some(once) = &oc.once {
                    s.push_str(&format!(" QUALIFY {}", once.render()));
                }
                s.push_str(" ON CONFLICT");
                if !oc.target.is_empty() {
                    let t: Vec<String> = oc.target.iter().map(|c| quote_ident(c)).collect();
                    s.push_str(&format!(" ({})", t.join(", ")));
                }
                match &oc.update {
                    None => s.push_str(" DO NOTHING"),
                    Some(set) => {
                        let set: Vec<String> = set.iter().map(|(c, e)| format!("{} = {}", quote_ident(c), e.render())).collect();
                        s.push_str(&format!(" DO UPDATE SET {}", set.join(", ")));
                        if let Some(w) = &oc.filter {
                            s.push_str(&format!(" WHERE {}", w.render()));
                        }
                    }
                }
            }
        }
        if let Some(w) = self.filter.as_ref().filter(|_| !matches!(self.change, Change::Insert { .. })) {
            s.push_str(&format!(" WHERE {}", w.render()));
        }
        if !self.returning.is_empty() {
            let r: Vec<String> = self.returning.iter().map(|(e, a)| format!("{} AS {}", e.render(), quote_ident(a))).collect();
            s.push_str(&format!(" RETURNING {}", r.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn may_raise_sees_error_calls_and_float_macros() {
        let x = Expr::column("t", "x");
        assert!(!x.may_raise());
        let raising = Expr::Case { whens: vec![(Expr::Bool(true), Expr::Call { name: "error".into(), args: vec![] })], otherwise: Some(Box::new(x.clone())) };
        assert!(raising.may_raise());
        assert!(Expr::Call { name: "memory.main.pg_fdiv".into(), args: vec![x.clone(), x] }.may_raise());
    }

    #[test]
    fn renders_a_grouped_query_fully_parenthesized() {
        let q = Select {
            targets: vec![
                (Expr::column("t1", "c3"), "kind".into()),
                (Expr::Call { name: "count".into(), args: vec![] }, "n".into()),
            ],
            from: vec![From::Table { name: "r_16384".into(), alias: "t1".into() }],
            filter: Some(Expr::Logical {
                and: true,
                args: vec![
                    Expr::binary(">", Expr::column("t1", "c1"), Expr::Param(1)),
                    Expr::IsNull { arg: Box::new(Expr::column("t1", "c2")), negated: true },
                ],
            }),
            group_by: vec![Expr::column("t1", "c3")],
            order_by: vec![OrderItem { expr: Expr::column("t1", "c3"), descending: true, nulls_first: true }],
            limit: Some(Expr::Literal { text: "10".into(), ty: "BIGINT".into() }),
            ..Default::default()
        };
        assert_eq!(
            q.render(),
            "SELECT \"t1\".\"c3\" AS \"kind\", count() AS \"n\" FROM \"r_16384\" AS \"t1\" \
             WHERE ((\"t1\".\"c1\" > $1) AND (\"t1\".\"c2\" IS NOT NULL)) GROUP BY \"t1\".\"c3\" \
             ORDER BY \"t1\".\"c3\" DESC NULLS FIRST LIMIT CAST('10' AS BIGINT)"
        );
    }

    #[test]
    fn quotes_hostile_names_and_literals() {
        let e = Expr::binary(
            "=",
            Expr::column("a\"b", "c"),
            Expr::Literal { text: "it's'; DROP TABLE x; --".into(), ty: "VARCHAR".into() },
        );
        assert_eq!(e.render(), "(\"a\"\"b\".\"c\" = CAST('it''s''; DROP TABLE x; --' AS VARCHAR))");
    }

    #[test]
    fn joins_case_and_in_lists() {
        let j = From::Join {
            kind: JoinKind::Left,
            left: Box::new(From::Table { name: "r_1".into(), alias: "a".into() }),
            right: Box::new(From::Table { name: "r_2".into(), alias: "b".into() }),
            on: Expr::binary("=", Expr::column("a", "c1"), Expr::column("b", "c1")),
        };
        assert_eq!(j.render(), "(\"r_1\" AS \"a\" LEFT JOIN \"r_2\" AS \"b\" ON (\"a\".\"c1\" = \"b\".\"c1\"))");
        let c = Expr::Case {
            whens: vec![(Expr::InList { arg: Box::new(Expr::Param(1)), list: vec![Expr::Null], negated: true }, Expr::Bool(true))],
            otherwise: Some(Box::new(Expr::Not(Box::new(Expr::Bool(false))))),
        };
        assert_eq!(c.render(), "(CASE WHEN ($1 NOT IN (NULL)) THEN TRUE ELSE (NOT FALSE) END)");
        assert_eq!(Expr::Logical { and: false, args: vec![] }.render(), "FALSE");
    }

    #[test]
    fn ctes_set_operations_windows_and_grouping_sets() {
        let leaf = Select {
            targets: vec![(Expr::column("t1", "c1"), "o1".into())],
            from: vec![From::Table { name: "r_1".into(), alias: "t1".into() }],
            ..Default::default()
        }
        .render();
        let u = set_operation(SetOp::Union, true, &leaf, &leaf);
        let q = Select {
            with: vec![Cte { name: "w1".into(), sql: u.clone(), materialized: Some(true) }],
            recursive: true,
            distinct_on: vec![Expr::column("s", "o1")],
            targets: vec![(
                Expr::Window {
                    call: Box::new(Expr::Call { name: "row_number".into(), args: vec![] }),
                    partition: vec![Expr::column("s", "o1")],
                    order_by: vec![],
                    frame: Some("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW".into()),
                },
                "o1".into(),
            )],
            from: vec![From::Subquery { sql: "SELECT 1".into(), alias: "s".into() }],
            grouping_sets: vec![GroupingSet::Rollup(vec![
                GroupingSet::Simple(vec![Expr::column("s", "o1")]),
                GroupingSet::Simple(vec![]),
            ])],
            ..Default::default()
        };
        assert_eq!(
            q.render(),
            format!(
                "WITH RECURSIVE \"w1\" AS MATERIALIZED (({leaf}) UNION ALL ({leaf})) SELECT DISTINCT ON (\"s\".\"o1\") \
                 (row_number() OVER (PARTITION BY \"s\".\"o1\" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS \"o1\" \
                 FROM (SELECT 1) AS \"s\" GROUP BY ROLLUP ((\"s\".\"o1\"), ())"
            )
        );
        let a = Expr::Aggregate {
            name: "string_agg".into(),
            distinct: true,
            args: vec![Expr::column("t", "c1"), Expr::Literal { text: ",".into(), ty: "VARCHAR".into() }],
            order_by: vec![OrderItem { expr: Expr::column("t", "c1"), descending: false, nulls_first: false }],
            filter: Some(Box::new(Expr::Bool(true))),
        };
        assert_eq!(
            a.render(),
            "string_agg(DISTINCT \"t\".\"c1\", CAST(',' AS VARCHAR) ORDER BY \"t\".\"c1\" ASC NULLS LAST) FILTER (WHERE TRUE)"
        );
        let x = Expr::Quantified { left: Box::new(Expr::Param(1)), op: "=".into(), all: false, sql: "SELECT 1".into() };
        assert_eq!(x.render(), "($1 = ANY (SELECT 1))");
    }
    #[test]
    fn renders_update_delete_and_insert_select() {
        let u = Modify {
            with: vec![],
            recursive: false,
            table: "r_5".into(),
            alias: "t0_1".into(),
            change: Change::Update {
                set: vec![("c2".into(), Expr::binary("+", Expr::column("t0_1", "c2"), Expr::Param(1)))],
                from: vec![From::Table { name: "r_6".into(), alias: "t0_2".into() }],
            },
            filter: Some(Expr::binary("=", Expr::column("t0_1", "c1"), Expr::column("t0_2", "c1"))),
            returning: vec![(Expr::column("t0_1", "c1"), "o1".into())],
        };
        assert_eq!(
            u.render(),
            "UPDATE \"r_5\" AS \"t0_1\" SET \"c2\" = (\"t0_1\".\"c2\" + $1) FROM \"r_6\" AS \"t0_2\" \
             WHERE (\"t0_1\".\"c1\" = \"t0_2\".\"c1\") RETURNING \"t0_1\".\"c1\" AS \"o1\""
        );
        let d = Modify { change: Change::Delete { using: vec![] }, returning: vec![], ..u.clone() };
        assert_eq!(d.render(), "DELETE FROM \"r_5\" AS \"t0_1\" WHERE (\"t0_1\".\"c1\" = \"t0_2\".\"c1\")");
        let i = Modify {
            change: Change::Insert {
                columns: vec!["c1".into(), "c2".into()],
                values: vec![Expr::column("t0_2", "o1"), Expr::Null],
                from: vec![From::Subquery { sql: "SELECT 1 AS o1".into(), alias: "t0_2".into() }],
                on_conflict: None,
            },
            filter: None,
            returning: vec![],
            ..u
        };
        assert_eq!(
            i.render(),
            "INSERT INTO \"r_5\" (\"c1\", \"c2\") SELECT \"t0_2\".\"o1\", NULL FROM (SELECT 1 AS o1) AS \"t0_2\""
        );
        let upsert = Modify {
            change: Change::Insert {
                columns: vec!["c1".into(), "c2".into()],
                values: vec![Expr::Literal { text: "1".into(), ty: "INTEGER".into() }, Expr::Null],
                from: vec![],
                on_conflict: Some(OnConflict {
                    target: vec!["c1".into()],
                    update: Some(vec![("c2".into(), Expr::column("excluded", "c2"))]),
                    filter: Some(Expr::column("r_5", "c2")),
                    once: Some(Expr::column("src", "c1")),
                }),
            },
            ..i.clone()
        };
        assert_eq!(
            upsert.render(),
            "INSERT INTO \"r_5\" (\"c1\", \"c2\") SELECT * FROM (SELECT CAST('1' AS INTEGER) AS \"c1\", NULL AS \"c2\") AS \"src\" \
             QUALIFY \"src\".\"c1\" ON CONFLICT (\"c1\") DO UPDATE SET \"c2\" = \"excluded\".\"c2\" WHERE \"r_5\".\"c2\""
        );
        let nothing = Modify {
            change: Change::Insert { columns: vec!["c1".into()], values: vec![Expr::Null], from: vec![], on_conflict: Some(OnConflict { target: vec![], update: None, filter: None, once: None }) },
            ..i
        };
        assert_eq!(nothing.render(), "INSERT INTO \"r_5\" (\"c1\") SELECT * FROM (SELECT NULL AS \"c1\") AS \"src\" ON CONFLICT DO NOTHING");
    }
}

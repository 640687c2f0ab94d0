//! Dependency order: which plugins can load, in what order, and why the
//! others cannot (a missing or incompatible dependency, a cycle).

use semver::{Version, VersionReq};
use std::collections::{BTreeMap, BTreeSet};

/// What the ordering needs to know of a plugin.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its version.
    pub version: Version,
    /// Its dependencies: id and accepted range.
    pub deps: Vec<(String, VersionReq)>,
}

/// The result: a load order, and a reason for each plugin left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Ids in an order where every plugin comes after its dependencies.
    pub order: Vec<String>,
    /// Ids that cannot load, with the reason.
    pub excluded: BTreeMap<String, String>,
}

/// Orders `nodes` by their dependencies. A missing or incompatible dependency
/// excludes the plugin (and what depends on it); every member of a cycle is
/// excluded with the cycle named.
pub fn plan(nodes: &BTreeMap<String, Node>) -> Plan {
    let mut plan = Plan::default();
    for (id, node) in nodes {
        for (dep, req) in &node.deps {
            match nodes.get(dep) {
                None => {
                    plan.excluded.insert(
                        id.clone(),
                        format!("requires plugin {dep} {req}, which is not installed"),
                    );
                }
                Some(d) if !req.matches(&d.version) => {
                    plan.excluded.insert(
                        id.clone(),
                        format!(
                            "requires plugin {dep} {req}, but version {} is installed",
                            d.version
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    }
    for cycle in cycles(nodes) {
        let names = format!("{} -> {}", cycle.join(" -> "), cycle[0]);
        for id in &cycle {
            plan.excluded
                .entry(id.clone())
                .or_insert_with(|| format!("dependency cycle: {names}"));
        }
    }
    // Depth-first post-order gives dependencies first; exclusion propagates.
    let mut visited = BTreeSet::new();
    for id in nodes.keys() {
        visit(id, nodes, &mut visited, &mut plan);
    }
    plan
}

fn visit(
    id: &str,
    nodes: &BTreeMap<String, Node>,
    visited: &mut BTreeSet<String>,
    plan: &mut Plan,
) {
    if !visited.insert(id.to_string()) {
        return;
    }
    let Some(node) = nodes.get(id) else { return };
    for (dep, _) in &node.deps {
        visit(dep, nodes, visited, plan);
        if let Some(why) = plan.excluded.get(dep).cloned()
            && !plan.excluded.contains_key(id)
        {
            let first = why.lines().next().unwrap_or_default();
            plan.excluded.insert(
                id.to_string(),
                format!("its dependency {dep} cannot load ({first})"),
            );
        }
    }
    if !plan.excluded.contains_key(id) {
        plan.order.push(id.to_string());
    }
}

/// Every elementary cycle found by a depth-first search, each as a list of ids.
fn cycles(nodes: &BTreeMap<String, Node>) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn dfs(
        id: &str,
        nodes: &BTreeMap<String, Node>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        marks.insert(id.to_string(), Mark::Open);
        stack.push(id.to_string());
        if let Some(node) = nodes.get(id) {
            for (dep, _) in &node.deps {
                match marks.get(dep.as_str()) {
                    Some(Mark::Open) => {
                        let start = stack.iter().position(|s| s == dep).unwrap_or(0);
                        found.push(stack[start..].to_vec());
                    }
                    Some(Mark::Done) => {}
                    None if nodes.contains_key(dep) => dfs(dep, nodes, marks, stack, found),
                    None => {}
                }
            }
        }
        stack.pop();
        marks.insert(id.to_string(), Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for id in nodes.keys() {
        if !marks.contains_key(id) {
            dfs(id, nodes, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(v: &str, deps: &[(&str, &str)]) -> Node {
        Node {
            version: Version::parse(v).unwrap(),
            deps: deps
                .iter()
                .map(|(d, r)| (d.to_string(), VersionReq::parse(r).unwrap()))
                .collect(),
        }
    }

    fn graph(items: &[(&str, Node)]) -> BTreeMap<String, Node> {
        items
            .iter()
            .map(|(k, n)| (k.to_string(), n.clone()))
            .collect()
    }

    #[test]
    fn dependencies_come_first() {
        let g = graph(&[
            ("a.app", node("1.0.0", &[("a.lib", "^1")])),
            ("a.lib", node("1.2.0", &[("a.base", "*")])),
            ("a.base", node("0.1.0", &[])),
        ]);
        let p = plan(&g);
        assert_eq!(p.order, ["a.base", "a.lib", "a.app"]);
        assert!(p.excluded.is_empty());
    }

    #[test]
    fn missing_and_incompatible_exclude_dependents_only() {
        let g = graph(&[
            ("a.app", node("1.0.0", &[("a.lib", "^2")])),
            ("a.lib", node("1.2.0", &[])),
            ("a.top", node("1.0.0", &[("a.app", "*")])),
            ("a.lone", node("1.0.0", &[("a.ghost", "*")])),
            ("a.ok", node("1.0.0", &[])),
        ]);
        let p = plan(&g);
        assert_eq!(p.order, ["a.lib", "a.ok"]);
        assert!(p.excluded["a.app"].contains("version 1.2.0 is installed"));
        assert!(p.excluded["a.top"].contains("its dependency a.app cannot load"));
        assert_eq!(
            p.excluded["a.lone"],
            "requires plugin a.ghost *, which is not installed"
        );
    }

    #[test]
    fn cycles_are_named() {
        let g = graph(&[
            ("c.a", node("1.0.0", &[("c.b", "*")])),
            ("c.b", node("1.0.0", &[("c.c", "*")])),
            ("c.c", node("1.0.0", &[("c.a", "*")])),
            ("c.free", node("1.0.0", &[])),
        ]);
        let p = plan(&g);
        assert_eq!(p.order, ["c.free"]);
        for id in ["c.a", "c.b", "c.c"] {
            assert_eq!(p.excluded[id], "dependency cycle: c.a -> c.b -> c.c -> c.a");
        }
    }
}

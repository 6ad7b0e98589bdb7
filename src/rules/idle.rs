//! Rules that parse but can never act with the team desk.yaml lists now:
//! an assignment or a notice to a role no agent has (or whose agents all
//! left), or to an agent who left. Not errors, since the team changes and a
//! rule may wait for a new colleague; `desk check` warns of them. Agents who
//! are only `away` come back, so they count as the team.

use super::*;

impl Rules {
    /// The actions and conditions of the enabled rules that no one in the
    /// team can ever meet, one problem each, named like a parse error.
    pub fn idle(&self) -> Vec<RuleError> {
        let mut out = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.enabled {
                continue;
            }
            let mut bad = |key: String, message: String| {
                out.push(RuleError {
                    index: Some(index),
                    name: Some(rule.name.clone()),
                    key,
                    message,
                })
            };
            for c in &rule.conditions {
                if let (
                    Subject::AssigneeRole,
                    Test::Value {
                        is: Some(roles), ..
                    },
                ) = (c.subject, &c.test)
                {
                    // Not even an agent who left: no ticket was ever theirs.
                    if roles.iter().all(|r| self.members(r).next().is_none()) {
                        bad(
                            format!("if.{}", c.subject.key()),
                            format!(
                                "can never match: no agent in desk.yaml has role {}",
                                roles.join(" or ")
                            ),
                        );
                    }
                }
            }
            for (i, action) in rule.actions.iter().enumerate() {
                match action {
                    RuleAction::Assign(AssignTo::Role { roles, .. }) if !self.staffed(roles) => {
                        bad(
                            format!("then[{i}].assign.role"),
                            format!(
                                "can never be done: {}; add an agent of the role to agents:, \
                                 or a role that has one to the list",
                                self.nobody(roles)
                            ),
                        )
                    }
                    RuleAction::Assign(AssignTo::Agent(a)) if self.gone(a) => bad(
                        format!("then[{i}].assign"),
                        format!("can never be done: {a} left the team (active: false)"),
                    ),
                    RuleAction::Notify(n) => {
                        for to in &n.to {
                            let why = match to {
                                Recipient::Role(roles) if !self.staffed(roles) => {
                                    self.nobody(roles)
                                }
                                Recipient::Agent(a) if self.gone(a) => {
                                    format!("{a} left the team (active: false)")
                                }
                                _ => continue,
                            };
                            bad(
                                format!("then[{i}].notify.to"),
                                format!("no one can ever be told: {why}"),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Whether some role of the list has an agent still with the team.
    fn staffed(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.members(r).any(|m| m.active))
    }

    fn gone(&self, agent: &str) -> bool {
        self.agents.iter().any(|m| m.id == agent && !m.active)
    }

    /// Why no agent of these roles can act: none listed, or all left.
    fn nobody(&self, roles: &[Role]) -> String {
        let listed = roles.iter().any(|r| self.members(r).next().is_some());
        let roles = roles.join(" or ");
        if listed {
            format!("every agent of role {roles} left the team (active: false)")
        } else {
            format!("no agent in desk.yaml has role {roles}")
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::rules::Rules;
    use crate::yaml::Value;

    fn idle(yaml: &str, config: &Config) -> Vec<String> {
        let v: Value = crate::yaml::from_str(yaml).unwrap();
        Rules::parse(Some(&v), config)
            .unwrap()
            .idle()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn what_no_one_in_the_team_can_do_is_told() {
        let mut config = Config::seed_defaults();
        // zhao.min (sales) left; qa has no agent at all; li.na is only away.
        config.agents[2].active = false;
        config.agents[0].away = true;
        let got = idle(
            "- {name: a, when: created, then: [{assign: {role: qa}}, {notify: {to: [assignee, {role: sales}], template: t}}]}\n\
             - {name: b, when: created, then: [{assign: zhao.min}, {notify: {to: {agent: zhao.min}, template: t}}]}\n\
             - {name: c, when: edited, if: {assignee.role: qa}, then: [{note: x}]}\n\
             - {name: d, enabled: false, when: created, then: [{assign: {role: qa}}]}\n\
             - {name: e, when: created, if: {assignee.role: sales}, then: [{assign: {role: [qa, service]}}, {notify: {to: {role: [sales, service]}, template: t}}]}\n",
            &config,
        );
        assert_eq!(
            got,
            [
                "rule 'a' (rules[0]), key then[0].assign.role: can never be done: no agent in desk.yaml has role qa; add an agent of the role to agents:, or a role that has one to the list",
                "rule 'a' (rules[0]), key then[1].notify.to: no one can ever be told: every agent of role sales left the team (active: false)",
                "rule 'b' (rules[1]), key then[0].assign: can never be done: zhao.min left the team (active: false)",
                "rule 'b' (rules[1]), key then[1].notify.to: no one can ever be told: zhao.min left the team (active: false)",
                "rule 'c' (rules[2]), key if.assignee.role: can never match: no agent in desk.yaml has role qa",
            ]
        );
        // The shipped rules, with the shipped team: all can act.
        let c = Config::seed_defaults();
        let rules = Rules::parse(c.rules.as_ref(), &c).unwrap();
        assert_eq!(rules.idle(), []);
    }
}

//! Who is meant to hold the identity that opens sealed numbers:
//! `encryption.holders` of desk.yaml, read against its roles and agents.

use super::Config;

/// Whether `actor` (as the log records it: an agent's ID, or a name) is
/// meant to hold the identity: `encryption.holders` names them, their role
/// (key, label or alias), or their agent (ID, name or e-mail).
pub fn holds_identity(config: &Config, actor: &str) -> bool {
    let holders = config
        .encryption
        .as_ref()
        .map_or_else(crate::crypto::default_holders, |e| e.holders.clone());
    let agent = config.agent(actor);
    holders.iter().any(|h| {
        let h = h.trim();
        if h == actor {
            return true;
        }
        let Some(agent) = agent else { return false };
        crate::config::find_choice(&config.roles, h).is_some_and(|role| role.key == agent.role)
            || config.agent(h).is_some_and(|a| a.id == agent.id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_named_by_role_or_agent() {
        let mut config = Config::seed_defaults();
        // The default: supervisors, by role.
        assert!(holds_identity(&config, "chen.jing"));
        assert!(!holds_identity(&config, "li.na"));
        assert!(!holds_identity(&config, "someone"));
        config.encryption = Some(crate::crypto::EncryptionConfig {
            recipients: vec![],
            lookup_key: String::new(),
            lookup_key_check: None,
            holders: vec!["主管".into(), "LI.NA".into(), "auditor".into()],
            extra: Default::default(),
        });
        assert!(holds_identity(&config, "chen.jing"), "a role by its label");
        assert!(holds_identity(&config, "li.na"), "an agent by ID, any case");
        assert!(
            holds_identity(&config, "auditor"),
            "a name as the log records it"
        );
        assert!(!holds_identity(&config, "wang.qiang"));
    }
}

"""Staff side: accounts, roles, log-in, the agency queue, ticket actions, triage, admin."""

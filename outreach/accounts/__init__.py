"""Staff accounts: users, roles, passwords and API tokens."""

"""The Jira adapter: markup (wiki text, JQL), fields (the P1), errors, and the client (`JiraTracker`)."""

"""The seed cases (shared/seeds 000–004) as data: fixtures, a loader through the services, and figures."""

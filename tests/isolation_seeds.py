"""Each domain adds a seeder here: `seeder(session, *, org_id, marker, settings)` creates that domain's data in
the organisation, with `marker` in its visible text, so the isolation test can prove none of it leaks."""

DOMAIN_SEEDERS: list = []

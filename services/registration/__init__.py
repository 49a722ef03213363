"""Registration: the district's social organizations (credit code, legal form, street and community, domains,
staff, status) and their people (leaders, finance staff, social workers)."""

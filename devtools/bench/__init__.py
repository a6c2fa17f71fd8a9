"""The benchmark harness: a large synthetic tenant (`generate_data`) and timed scenarios (`bench`).

`data` builds the tenant, `registry` holds the scenarios (later issues register theirs there),
`scenarios` defines the built-in ones and `runner` measures them and writes the report.
"""

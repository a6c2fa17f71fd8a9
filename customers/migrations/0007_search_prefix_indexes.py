"""Prefix indexes for searches of one or two characters (customers.filters.CustomerFilter.filter_search).

A trigram index cannot narrow `%be%` (no trigram in two letters), so a short term matches the start of the name
or reference instead: `UPPER(column::text) LIKE 'BE%'` within the organization, answered by a b-tree on
(organization, UPPER(column)) with text_pattern_ops (LIKE prefixes under any collation). PostgreSQL only, as
0005; SQLite answers the same filter by scanning.
"""

from django.db import migrations

from customers.operations import OnPostgreSQL

PREFIX_INDEXES = [
    ("customers_customer", "name", "customer_name_prefix"),
    ("customers_customer", "external_ref", "customer_ref_prefix"),
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_customer_balance_unique_per_organization")]

    operations = [
        OnPostgreSQL(
            *[
                migrations.RunSQL(
                    f'CREATE INDEX "{name}" ON "{table}" ("organization_id", (UPPER("{column}"::text)) text_pattern_ops)',
                    f'DROP INDEX "{name}"',
                )
                for table, column, name in PREFIX_INDEXES
            ],
        )
    ]

"""Trigram indexes for the customer search (customers.filters.CustomerFilter.filter_search), PostgreSQL only.

Django's `icontains` on PostgreSQL reads `UPPER(column::text) LIKE UPPER('%term%')`, so each index is a GIN
trigram index on that same expression; a substring search then reads a few index pages instead of every
customer and contact. The indexes live only in the database, not in the models' state: SQLite (development,
tests) has no pg_trgm and no GIN, so there the operations do nothing.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from customers.operations import OnPostgreSQL

TRIGRAM_INDEXES = [
    ("customers_customer", "name", "customer_name_trgm"),
    ("customers_customer", "external_ref", "customer_ref_trgm"),
    ("customers_customer", "vat_number", "customer_vat_trgm"),
    ("customers_contact", "email", "contact_email_trgm"),
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_balance_per_currency")]

    operations = [
        OnPostgreSQL(
            TrigramExtension(),
            *[
                migrations.RunSQL(
                    f'CREATE INDEX "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
                    f'DROP INDEX "{name}"',
                )
                for table, column, name in TRIGRAM_INDEXES
            ],
        )
    ]

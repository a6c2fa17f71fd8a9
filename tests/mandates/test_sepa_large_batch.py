"""A month's run of a large creditor: 10,000 debits in one pain.008 file (not in the smoke set: ~4 s).

Speed is measured by the benchmark (`make bench`, mandates.batch_10k), not here."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

from schwifty import IBAN

from mandates.sepa import Collection, Creditor, build_pain008

TODAY = date(2026, 11, 16)
VERSION = "pain.008.001.08"
COUNT = 10_000


def test_ten_thousand_debits_build_into_one_valid_file():
    collections = [
        Collection(
            end_to_end_id=f"INV-2026-{number:06d}",
            amount=Decimal(number) / 100,
            currency="EUR",
            debtor_name=f"Debtor {number}",
            debtor_iban=str(IBAN.generate("DE", bank_code="37040044", account_code=f"{number:010d}")),
            mandate_reference=f"ACME-{number:06d}",
            mandate_date=date(2026, 1, 15),
            sequence_type="FRST" if number % 3 == 0 else "RCUR",
            collection_date=TODAY + timedelta(days=3 + number % 2),
            description=f"Invoice 2026-{number:06d}",
        )
        for number in range(1, COUNT + 1)
    ]
    creditor = Creditor(name="Collect Demo NV", iban="BE71096123456769", creditor_id="BE69ZZZ050D000000008")

    # build_pain008 validates the file against the XSD before returning it.
    xml_bytes = build_pain008(creditor=creditor, collections=collections, version=VERSION, today=TODAY)

    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{VERSION}"}
    header = ET.fromstring(xml_bytes).find("p:CstmrDrctDbtInitn/p:GrpHdr", namespaces=ns)
    assert header.findtext("p:NbOfTxs", namespaces=ns) == str(COUNT)
    # 0.01 + 0.02 + ... + 100.00
    assert Decimal(header.findtext("p:CtrlSum", namespaces=ns)) == Decimal("500050.00")

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

from mandates.sepa import (
    Collection,
    Creditor,
    SepaError,
    bic_for_iban,
    build_pain008,
    creditor_id_check_digits,
    mandate_reference,
    validate_bic,
    validate_creditor_id,
    validate_iban,
    validate_mandate_reference,
    validate_pain008,
)

pytestmark = pytest.mark.smoke

TODAY = date(2026, 11, 16)
VERSIONS = ["pain.008.001.02", "pain.008.001.08", "pain.008.001.09", "pain.008.001.10"]
CREDITOR = Creditor(name="Collect Demo NV", iban="BE71 0961 2345 6769", bic=None, creditor_id="BE69ZZZ050D000000008")


def collection(**changes) -> Collection:
    values = {
        "end_to_end_id": "INV-2026-0001",
        "amount": Decimal("19.99"),
        "currency": "EUR",
        "debtor_name": "Max Müller",
        "debtor_iban": "DE89370400440532013000",
        "debtor_bic": "COBADEFFXXX",
        "mandate_reference": "ACME-000001",
        "mandate_date": date(2026, 1, 15),
        "sequence_type": "FRST",
        "collection_date": TODAY + timedelta(days=5),
        "description": "Invoice 2026-0001",
    }
    return Collection(**{**values, **changes})


def refusal(call, *args, **kwargs) -> SepaError:
    with pytest.raises(SepaError) as caught:
        call(*args, **kwargs)
    return caught.value


def namespace(version: str) -> dict[str, str]:
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}


# IBAN and BIC ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BE68539007547034", "BE68539007547034"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        (" DE89 3704 0044 0532 0130 00 ", "DE89370400440532013000"),
        ("CH9300762011623852957", "CH9300762011623852957"),
    ],
)
def test_valid_ibans_come_back_normalised(value, expected):
    assert validate_iban(value) == expected


def test_iban_with_a_typing_error_fails_its_checksum():
    error = refusal(validate_iban, "BE68539007547035")
    assert error.code == "iban_checksum"
    assert "check digits" in str(error.message)


def test_iban_of_the_wrong_length_for_its_country_is_refused():
    error = refusal(validate_iban, "NL91ABNA041716430")
    assert error.code == "iban_length"
    assert "18" in str(error.message) and "17" in str(error.message)


@pytest.mark.parametrize("value", ["XK051212012345678906", "TR330006100519786457841326", "SA0380000000608010167519"])
def test_real_iban_outside_sepa_cannot_be_debited(value):
    error = refusal(validate_iban, value)
    assert error.code == "iban_not_sepa"
    assert value[:2] in str(error.message)


def test_country_without_ibans_is_refused():
    assert refusal(validate_iban, "US12345678901234").code == "iban_country"


@pytest.mark.parametrize("value", ["", "12345", "BE", "BE68-5390-0754-7034", "BEXX539007547034"])
def test_text_that_is_not_an_iban_is_refused(value):
    assert refusal(validate_iban, value).code == "iban_format"


@pytest.mark.parametrize(
    ("iban", "bic"),
    [
        ("NL91ABNA0417164300", "ABNANL2A"),
        ("DE89370400440532013000", "COBADEFFXXX"),
        ("BE71 0961 2345 6769", "GKCCBEBB"),
        ("BE62510007547061", "VAPEBE22"),
    ],
)
def test_bic_is_derived_from_the_bank_registry(iban, bic):
    assert bic_for_iban(iban) == bic


def test_bic_is_unknown_for_a_bank_code_missing_from_the_registry():
    # The textbook Belgian example uses bank code 539, which schwifty's registry does not list.
    assert bic_for_iban("BE68539007547034") is None


def test_bic_for_an_invalid_iban_is_refused():
    assert refusal(bic_for_iban, "BE68539007547035").code == "iban_checksum"


@pytest.mark.parametrize(
    ("value", "expected"), [("gebabebb", "GEBABEBB"), ("COBA DE FF XXX", "COBADEFFXXX"), ("COBADEFF", "COBADEFF")]
)
def test_valid_bics_come_back_normalised(value, expected):
    assert validate_bic(value) == expected


@pytest.mark.parametrize(
    ("value", "code"), [("ABNAN", "bic_format"), ("1BNANL2A", "bic_format"), ("ABNAXX2A", "bic_country")]
)
def test_malformed_bics_are_refused(value, code):
    assert refusal(validate_bic, value).code == code


# Creditor identifier -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "DE98ZZZ09999999999",  # German test CI (contracts.md 2.1 and 2.4)
        "BE69ZZZ050D000000008",
        "NL69ZZZ123456780000",
        "IT66ZZZA1B2C3D4E5F6G7H8",
        "ES50ZZZM23456789",
        "FR72ZZZ123456",
        "AT61ZZZ01234567890",
    ],
)
def test_valid_creditor_identifiers_pass(value):
    assert validate_creditor_id(value) == value


def test_creditor_identifier_is_normalised():
    assert validate_creditor_id(" de98 zzz 0999 9999 999 ") == "DE98ZZZ09999999999"


def test_check_digits_follow_mod_97_10_over_national_id_and_country():
    assert creditor_id_check_digits(country_code="DE", national_id="09999999999") == "98"
    assert creditor_id_check_digits(country_code="BE", national_id="050D000000008") == "69"


@pytest.mark.parametrize(
    "value", ["DE98ZZZ09999999998", "DE98ZZZ19999999999", "DE99ZZZ09999999999", "BE69ZZZ050E000000008"]
)
def test_a_changed_character_fails_the_check_digits(value):
    assert refusal(validate_creditor_id, value).code == "creditor_id_checksum"


@pytest.mark.parametrize("business_code", ["ZZZ", "ABC", "001", "X9Y"])
def test_business_code_is_ignored_by_the_check_digits(business_code):
    assert validate_creditor_id(f"DE98{business_code}09999999999") == f"DE98{business_code}09999999999"


@pytest.mark.parametrize(("value", "code"), [("DE98ZZ", "creditor_id_format"), ("9898ZZZ0999", "creditor_id_format")])
def test_malformed_creditor_identifiers_are_refused(value, code):
    assert refusal(validate_creditor_id, value).code == code


def test_creditor_identifier_from_outside_sepa_is_refused():
    check = creditor_id_check_digits(country_code="TR", national_id="1234567890")
    assert refusal(validate_creditor_id, f"TR{check}ZZZ1234567890").code == "creditor_id_country"


# Unique Mandate Reference ------------------------------------------------------------------------


def test_mandate_reference_is_deterministic_from_prefix_and_sequence():
    assert mandate_reference(prefix="acme", sequence=42) == "ACME-000042"
    assert mandate_reference(prefix="acme", sequence=42) == mandate_reference(prefix="ACME", sequence=42)
    assert mandate_reference(prefix="BE/ACME", sequence=1234567) == "BE/ACME-1234567"


def test_mandate_reference_never_exceeds_35_characters():
    assert len(mandate_reference(prefix="A" * 28, sequence=1)) == 35
    assert refusal(mandate_reference, prefix="A" * 29, sequence=1).code == "mandate_reference_length"


@pytest.mark.parametrize("prefix", ["", "/ACME", "ACME/", "AC ME", "ACMÉ", "AC_ME", "AC//ME"])
def test_mandate_reference_prefix_must_be_safe(prefix):
    assert refusal(mandate_reference, prefix=prefix, sequence=1).code.startswith("mandate_reference_")


@pytest.mark.parametrize("sequence", [0, -1, True, 1.5])
def test_mandate_reference_sequence_must_be_a_positive_integer(sequence):
    assert refusal(mandate_reference, prefix="ACME", sequence=sequence).code == "mandate_reference_sequence"


@pytest.mark.parametrize("value", ["A", "x" * 35, "ab/CD-12?:().,'+ z", "MNDT 2024 0001"])
def test_mandate_references_within_the_epc_rules_pass(value):
    assert validate_mandate_reference(value) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "mandate_reference_required"),
        ("   ", "mandate_reference_required"),
        ("x" * 36, "mandate_reference_length"),
        ("MÜ 1", "mandate_reference_characters"),
        ("A_B", "mandate_reference_characters"),
        ("A&B", "mandate_reference_characters"),
        ("A@B", "mandate_reference_characters"),
        ("/AB", "mandate_reference_slash"),
        ("AB/", "mandate_reference_slash"),
        ("A//B", "mandate_reference_slash"),
    ],
)
def test_mandate_references_breaking_the_epc_rules_are_refused(value, code):
    assert refusal(validate_mandate_reference, value).code == code


def test_mandate_reference_loses_surrounding_spaces_but_keeps_its_case():
    assert validate_mandate_reference("  Acme-1 ") == "Acme-1"


# pain.008 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_pain008_validates_and_carries_the_collections(version):
    collections = [
        collection(),
        collection(
            end_to_end_id="INV-2026-0002",
            amount=Decimal("1250"),
            debtor_bic=None,
            debtor_iban="NL91ABNA0417164300",
            mandate_reference="ACME-000002",
            sequence_type="RCUR",
        ),
        collection(end_to_end_id="INV-2026-0003", amount=Decimal("0.01"), mandate_reference="ACME-000003"),
    ]
    xml_bytes = build_pain008(
        creditor=CREDITOR, collections=collections, version=version, today=TODAY, message_id="COLLECT-2026-11-16-1"
    )
    assert validate_pain008(xml_bytes, version) is None

    ns = namespace(version)
    root = ET.fromstring(xml_bytes)
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=ns) == "COLLECT-2026-11-16-1"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "1270.00"
    blocks = root.findall("p:CstmrDrctDbtInitn/p:PmtInf", namespaces=ns)
    assert sorted(block.findtext("p:PmtTpInf/p:SeqTp", namespaces=ns) for block in blocks) == ["FRST", "RCUR"]
    assert {block.findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=ns) for block in blocks} == {"CORE"}
    assert {block.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=ns) for block in blocks} == {
        "BE69ZZZ050D000000008"
    }
    bic_element = "BIC" if version == "pain.008.001.02" else "BICFI"
    assert blocks[0].findtext(f"p:CdtrAgt/p:FinInstnId/p:{bic_element}", namespaces=ns) == "GKCCBEBB"

    transactions = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns): tx for tx in root.iter(f"{{{ns['p']}}}DrctDbtTxInf")
    }
    first, second = transactions["INV-2026-0001"], transactions["INV-2026-0002"]
    assert first.find("p:InstdAmt", namespaces=ns).text == "19.99"
    assert first.find("p:InstdAmt", namespaces=ns).get("Ccy") == "EUR"
    assert first.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=ns) == "ACME-000001"
    assert first.findtext("p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr", namespaces=ns) == "2026-01-15"
    assert first.findtext("p:Dbtr/p:Nm", namespaces=ns) == "Max Muller"
    assert first.findtext(f"p:DbtrAgt/p:FinInstnId/p:{bic_element}", namespaces=ns) == "COBADEFFXXX"
    assert second.findtext("p:InstdAmt", namespaces=ns) == "1250.00"
    assert second.findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=ns) == "NOTPROVIDED"
    assert transactions["INV-2026-0003"].findtext("p:InstdAmt", namespaces=ns) == "0.01"


def test_pain008_b2b_scheme_is_the_local_instrument():
    xml_bytes = build_pain008(
        creditor=CREDITOR, collections=[collection()], version="pain.008.001.08", today=TODAY, scheme="B2B"
    )
    assert b"<Cd>B2B</Cd>" in xml_bytes


def test_pain008_texts_are_transliterated_to_the_sepa_character_set():
    xml_bytes = build_pain008(
        creditor=dataclasses.replace(CREDITOR, name="Société Générale & Fils"),
        collections=[collection(debtor_name="Jürgen Groß_Straße", description="Rechnung «2026/1» — danke!")],
        version="pain.008.001.08",
        today=TODAY,
    )
    assert b"<Nm>Societe Generale + Fils</Nm>" in xml_bytes
    assert b"<Nm>Jurgen Gross-Strasse</Nm>" in xml_bytes
    assert b"<Ustrd>Rechnung 2026/1 -- danke</Ustrd>" in xml_bytes


def test_pain008_02_needs_a_creditor_bic_it_cannot_derive():
    creditor = dataclasses.replace(CREDITOR, iban="BE68539007547034", bic=None)
    error = refusal(
        build_pain008, creditor=creditor, collections=[collection()], version="pain.008.001.02", today=TODAY
    )
    assert (error.code, error.field) == ("bic_required", "creditor.bic")
    xml_bytes = build_pain008(creditor=creditor, collections=[collection()], version="pain.008.001.08", today=TODAY)
    assert b"<Id>NOTPROVIDED</Id>" in xml_bytes


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"debtor_iban": "XK051212012345678906"}, "collections[1].debtor_iban", "iban_not_sepa"),
        ({"debtor_iban": "DE00370400440532013000"}, "collections[1].debtor_iban", "iban_checksum"),
        ({"debtor_bic": "COBA"}, "collections[1].debtor_bic", "bic_format"),
        ({"amount": Decimal("0")}, "collections[1].amount", "amount_not_positive"),
        ({"amount": Decimal("-5.00")}, "collections[1].amount", "amount_not_positive"),
        ({"amount": Decimal("1.005")}, "collections[1].amount", "amount_precision"),
        ({"amount": Decimal("1000000000")}, "collections[1].amount", "amount_too_large"),
        ({"amount": 19.99}, "collections[1].amount", "amount_type"),
        ({"currency": "USD"}, "collections[1].currency", "currency_not_eur"),
        (
            {"collection_date": TODAY - timedelta(days=1)},
            "collections[1].collection_date",
            "collection_date_not_future",
        ),
        ({"collection_date": TODAY}, "collections[1].collection_date", "collection_date_not_future"),
        ({"mandate_date": TODAY + timedelta(days=1)}, "collections[1].mandate_date", "mandate_date_future"),
        ({"end_to_end_id": "E" * 36}, "collections[1].end_to_end_id", "end_to_end_id_length"),
        ({"end_to_end_id": "INV_2026_1"}, "collections[1].end_to_end_id", "end_to_end_id_characters"),
        ({"end_to_end_id": ""}, "collections[1].end_to_end_id", "end_to_end_id_required"),
        ({"end_to_end_id": "INV-2026-0001"}, "collections[1].end_to_end_id", "end_to_end_id_duplicate"),
        ({"mandate_reference": "MÜ 1"}, "collections[1].mandate_reference", "mandate_reference_characters"),
        ({"sequence_type": "COR1"}, "collections[1].sequence_type", "sequence_type_choice"),
        ({"description": "x" * 141}, "collections[1].description", "text_length"),
        ({"debtor_name": " @@ "}, "collections[1].debtor_name", "text_required"),
    ],
)
def test_pain008_refuses_invalid_collections_naming_the_field(changes, field, code):
    changes = {"end_to_end_id": "INV-2026-0002", **changes}
    collections = [collection(), collection(**changes)]
    error = refusal(build_pain008, creditor=CREDITOR, collections=collections, version="pain.008.001.08", today=TODAY)
    assert (error.field, error.code) == (field, code)
    assert field in str(error)


@pytest.mark.parametrize(
    ("arguments", "field", "code"),
    [
        (
            {"creditor": dataclasses.replace(CREDITOR, iban="TR330006100519786457841326")},
            "creditor.iban",
            "iban_not_sepa",
        ),
        (
            {"creditor": dataclasses.replace(CREDITOR, creditor_id="BE68ZZZ050D000000008")},
            "creditor.creditor_id",
            "creditor_id_checksum",
        ),
        ({"creditor": dataclasses.replace(CREDITOR, bic="GKCC")}, "creditor.bic", "bic_format"),
        ({"version": "pain.008.003.02"}, "version", "version_choice"),
        ({"scheme": "COR1"}, "scheme", "scheme_choice"),
        ({"collections": []}, "collections", "collections_empty"),
        ({"message_id": "MSG//1"}, "message_id", "message_id_slash"),
    ],
)
def test_pain008_refuses_invalid_creditor_and_options_naming_the_field(arguments, field, code):
    values = {"creditor": CREDITOR, "collections": [collection()], "version": "pain.008.001.02", "today": TODAY}
    error = refusal(build_pain008, **{**values, **arguments})
    assert (error.field, error.code) == (field, code)


def test_validate_pain008_lists_schema_errors():
    xml_bytes = build_pain008(creditor=CREDITOR, collections=[collection()], version="pain.008.001.02", today=TODAY)
    broken = xml_bytes.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>COR1</SeqTp>").replace(
        b"DE89370400440532013000", b"de89370400440532013000"
    )
    error = refusal(validate_pain008, broken, "pain.008.001.02")
    assert error.code == "pain008_schema"
    assert any("SeqTp" in detail for detail in error.details)
    assert any("DbtrAcct/Id/IBAN" in detail for detail in error.details)


def test_validate_pain008_refuses_a_file_of_another_version():
    xml_bytes = build_pain008(creditor=CREDITOR, collections=[collection()], version="pain.008.001.02", today=TODAY)
    assert refusal(validate_pain008, xml_bytes, "pain.008.001.08").code == "pain008_schema"


@pytest.mark.parametrize(
    "xml_bytes",
    [b"<Document><unclosed></Document>", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'],
)
def test_validate_pain008_refuses_unreadable_or_entity_laden_xml(xml_bytes):
    assert refusal(validate_pain008, xml_bytes, "pain.008.001.02").code == "pain008_unreadable"

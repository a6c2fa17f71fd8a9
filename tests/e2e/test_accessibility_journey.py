"""Browser journey with axe-core: the main pages and the signing page with errors have no accessibility violations.

Every control has a name a screen reader speaks, help texts and errors are linked to their fields, and a failed
signing moves focus to the error summary.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mandates.links import signing_path
from tests.e2e.axe import assert_accessible, axe_violations, dangling_references, readable
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("nav.sidebar")).to_be_visible()


def test_the_main_pages_have_no_accessibility_violations(world, live_server, page):
    log_in(page, live_server)
    base = f"{live_server.url}/o/{world.org_a.slug}"
    pages = {
        "dashboard": f"{base}/",
        "portfolio": f"{base}/?scope={world.manager_a.pk}",
        "reports": f"{base}/reports/",
        "aging report": f"{base}/reports/aging/",
        "performance report": f"{base}/reports/performance/",
        "follow-up report": f"{base}/reports/follow-up/",
        "customers": f"{base}/customers/",
        "customer": f"{base}/customers/{world.a.customer.pk}/",
        "customer form": f"{base}/customers/{world.a.customer.pk}/edit/",
        "invoices": f"{base}/invoices/",
        "invoice": f"{base}/invoices/{world.a.invoice.pk}/",
        "new plan": f"{base}/follow-up/plans/new/",
        "plan": f"{base}/follow-up/plans/{world.a.plan.pk}/",
        "templates": f"{base}/configuration/templates/",
        "organization settings": f"{base}/configuration/organization/",
        "actions": f"{base}/actions/",
        "follow-up": f"{base}/follow-up/",
        "follow-up settings": f"{base}/follow-up/settings/",
        "campaigns": f"{base}/campaigns/",
        "campaign": f"{base}/campaigns/{world.a.campaign.pk}/",
        "mandates": f"{base}/mandates/",
        "mandate": f"{base}/mandates/{world.a.mandate.pk}/",
        "collections": f"{base}/collections/",
        "configuration": f"{base}/configuration/",
        "api keys": f"{base}/configuration/api-keys/",
        "members": f"{base}/configuration/members/",
        "member": f"{base}/configuration/members/{world.member_a.pk}/",
        "remove member": f"{base}/configuration/members/{world.manager_a.pk}/remove/",
        "not found": f"{base}/customers/999999/",
    }
    problems = {}
    for name, url in pages.items():
        page.goto(url)
        text = readable(axe_violations(page))
        if missing := dangling_references(page):
            text += "\nreferences to missing ids: " + ", ".join(missing)
        if text.strip():
            problems[name] = f"== {name} {url}\n{text}"
    assert not problems, "\n\n".join(problems.values())


def test_a_form_with_errors_links_each_error_to_its_field(world, live_server, page):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/o/{world.org_a.slug}/customers/{world.a.customer.pk}/edit/")
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    described = name.get_attribute("aria-describedby").split()
    assert any(page.locator(f"#{ident}.error").count() == 1 for ident in described)
    assert not dangling_references(page)
    assert_accessible(page, "customer form with errors")


def test_the_signing_page_with_errors_is_accessible_and_focuses_the_errors(world, live_server, page, mandate_to_sign):
    mandate = mandate_to_sign
    page.goto(live_server.url + signing_path(mandate))
    assert_accessible(page, "signing page")

    page.get_by_label("IBAN").fill("BE71 0961 2345 6768")
    page.get_by_role("button", name="Sign the mandate").click()
    expect(page.locator("#id_iban-error")).to_contain_text("check digits do not match")
    # Focus is on the error summary (or the first invalid field), not left on <body>.
    focused = page.evaluate("document.activeElement && document.activeElement.tagName")
    assert focused != "BODY"
    expect(page.locator(":focus")).to_have_attribute("data-testid", "error-summary")
    # The unticked agreement box names its error.
    agree = page.get_by_label("I have read the text above and agree to it.")
    described = agree.get_attribute("aria-describedby") or ""
    assert described and all(page.locator(f"#{ident}").count() == 1 for ident in described.split())
    expect(agree).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "signing page with errors")
    assert not dangling_references(page)

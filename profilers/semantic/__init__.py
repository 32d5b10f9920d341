"""Semantic column types: what a column *is* (an ID card number, a credit code, a phone number,
a date, a province name …), detected from a sample of its values and its label, with the
vectorised validators the field's own standards define."""

"""How officials are addressed: offices, portfolios, genders and languages -> forms of address.

The knowledge base (``knowledge.yaml``) is data shipped in the package; the modules here read it
for the filters that propose a salutation and for the checks that find a record contradicting
itself ("Dear Prime Minister," in the row of the Minister of Foreign Affairs).
"""

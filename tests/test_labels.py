"""One way to name a variable inside a sentence and an association ('exposure → outcome')."""

from helpers.data.codebook import association_label, load_codebook, lower_first


def test_lower_first_keeps_acronyms():
    assert lower_first("Aware of the SP Information Standard") == "aware of the SP Information Standard"
    assert lower_first("ONS4 wellbeing measures") == "ONS4 wellbeing measures"
    assert lower_first("IT systems that record outcomes") == "IT systems that record outcomes"
    assert lower_first("") == ""


def test_association_label_from_the_codebook():
    book = load_codebook()
    label = book.association_label("aware_info_standard", "patient_outcomes_often")
    exposure, outcome = label.split(" → ")
    assert exposure == book.label("aware_info_standard") and "SP" in exposure
    assert outcome == lower_first(book.label("patient_outcomes_often"))
    assert association_label("A", "Bcd") == "A → bcd"

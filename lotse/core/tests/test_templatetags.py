from lotse.core.templatetags.lotse import tel


def test_tel_links_carry_no_spaces():
    assert tel("0461 85-2000") == "tel:046185-2000"
    assert tel("+49 461 14 14 30") == "tel:+49461141430"
    assert tel("(0461) 123") == "tel:0461123"
